/** Longest side of a result's preview, in pixels: enough to judge an edit in a chat, small enough not to crowd a model's context. */
export const DEFAULT_PREVIEW_PIXELS = 512;

/** Largest picture an agent may send or point at, as the HTTP API's default. */
export const DEFAULT_MAX_IMAGE_BYTES = 25 * 1024 * 1024;

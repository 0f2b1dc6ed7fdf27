/**
 * Downloads an image from a URL a user gave. Injected wherever such a URL is fetched (the
 * engine, the HTTP server) so the SSRF guard sits in one place and tests can reach loopback.
 */
export type ImageFetcher = (
  url: string,
  options: {
    maxBytes: number;
    signal?: AbortSignal;
    /** The input field refusals name (`image` in the library, `image_url` over HTTP). Default `image_url`. */
    field?: string;
  },
) => Promise<Buffer>;

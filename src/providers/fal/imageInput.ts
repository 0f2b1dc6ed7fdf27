import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../errors/ValidationError.js';
import { isDataUri, parseDataUri, toDataUri } from '../../util/dataUri.js';
import { ACCEPTED_IMAGE_TYPES, sniffImageType } from '../../util/imageType.js';
import type { ImageSource } from '../Provider.js';

/**
 * What can become an `image_url`: the engine's archived image (with the fal URL it came
 * from, if any), a local file path or `file:` URL, an http(s) URL, a data URI, or bytes.
 */
export type FalImageInput = ImageSource | string | Uint8Array;

export interface ImageUrlDeps {
  /** Images up to this many bytes go inline as data URIs. */
  inlineMaxBytes: number;
  /** Uploads to fal storage and returns the file URL. */
  upload: (bytes: Uint8Array, contentType: string, signal: AbortSignal | undefined) => Promise<string>;
  /** Whether a URL fal handed out earlier still serves (it may have expired). */
  stillServes: (url: string, signal: AbortSignal | undefined) => Promise<boolean>;
}

/**
 * The `image_url` to send for `input`, spending as little as possible: a fal URL that still
 * serves is reused; otherwise the bytes go inline when small (no upload round trip) or are
 * uploaded to fal storage. A caller's own http(s) URL is passed through untouched — fal
 * fetches it. Bytes are checked to be an image first, so nothing is spent on a wrong file.
 *
 * @example
 * const url = await toFalImageUrl('./photo.png', deps); // data URI or fal storage URL
 */
export async function toFalImageUrl(input: FalImageInput, deps: ImageUrlDeps, signal?: AbortSignal): Promise<string> {
  if (input instanceof Uint8Array) return fromBytes(input, 'image', deps, signal);
  if (typeof input === 'string') return fromString(input, deps, signal);
  if (input.url !== undefined && input.urlProvider === 'fal' && /^https?:\/\//i.test(input.url) && (await deps.stillServes(input.url, signal))) {
    return input.url;
  }
  return fromBytes(await input.load(), `image ${input.hash}`, deps, signal);
}

async function fromString(input: string, deps: ImageUrlDeps, signal: AbortSignal | undefined): Promise<string> {
  if (isDataUri(input)) {
    const { bytes } = parseDataUri(input, 'image');
    return fromBytes(bytes, 'the data URI', deps, signal);
  }
  if (/^https?:\/\//i.test(input)) return input;
  const path = /^file:/i.test(input) ? fileURLToPath(input) : input;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new ValidationError([{ field: 'image', message: `cannot read ${JSON.stringify(path)} (${code}); expected an image file, an http(s) URL or a data URI` }]);
  }
  return fromBytes(bytes, JSON.stringify(path), deps, signal);
}

async function fromBytes(bytes: Uint8Array, what: string, deps: ImageUrlDeps, signal: AbortSignal | undefined): Promise<string> {
  // The bytes decide the type: a file name or a stored content type can be wrong.
  const contentType = sniffImageType(bytes.subarray(0, 16));
  if (!contentType) {
    throw new ValidationError([{ field: 'image', message: `${what} is not an image Kontext reads; allowed: ${ACCEPTED_IMAGE_TYPES.join(', ')}` }]);
  }
  if (bytes.byteLength <= deps.inlineMaxBytes) return toDataUri(bytes, contentType);
  return deps.upload(bytes, contentType, signal);
}

import { fetch as undiciFetch } from 'undici';
import { BlobTooLargeError } from '../../blobs/BlobTooLargeError.js';
import { CancelledError } from '../../errors/CancelledError.js';
import { IntegrityError } from '../../errors/IntegrityError.js';
import { KontextError } from '../../errors/KontextError.js';
import { NetworkError } from '../../errors/NetworkError.js';
import { NotFoundError } from '../../errors/NotFoundError.js';
import { ProviderError } from '../../errors/ProviderError.js';
import { TimeoutError } from '../../errors/TimeoutError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import { isDataUri, parseDataUri } from '../../util/dataUri.js';
import { ACCEPTED_IMAGE_TYPES, sniffImageType } from '../../util/imageType.js';
import { LOCAL_URL_SCHEME, type OutputStore, type StoredImage } from './OutputStore.js';

/** The `fetch` the provider reads http(s) images with (undici's, or a test's). */
export type FetchLike = (url: string, init: { signal: AbortSignal; redirect: 'follow'; headers: Record<string, string> }) => Promise<{
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
}>;

export const defaultFetch: FetchLike = (url, init) => undiciFetch(url, init) as ReturnType<FetchLike>;

export interface ReadImageOptions {
  store: OutputStore;
  fetch: FetchLike;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /**
   * Who is asking, which decides the errors: `input` (an `image_url` to edit: problems are the
   * caller's, ValidationError on `image_url`) or `download` (an output being archived:
   * BlobTooLargeError, IntegrityError — as the fal provider throws them).
   */
  purpose: 'input' | 'download';
}

/**
 * The bytes behind an image URL the local provider accepts: a `data:` URI, one of its own
 * `local://` URLs, or an http(s) URL (fetched with a deadline and a size limit). The bytes
 * must be an image Kontext reads, whatever the URL or server claims.
 */
export async function readImage(url: string, options: ReadImageOptions): Promise<StoredImage> {
  const field = options.purpose === 'input' ? 'image_url' : 'url';
  let image: StoredImage;
  if (isDataUri(url)) {
    // base64 is 4 characters per 3 bytes: refuse before decoding a huge string.
    if (Math.floor((url.length * 3) / 4) > options.maxBytes + 1024) throw tooLarge(options);
    const { contentType, bytes } = parseDataUri(url, field);
    image = { contentType, bytes };
  } else if (url.startsWith(`${LOCAL_URL_SCHEME}//`)) {
    const held = options.store.get(url);
    if (!held) throw new NotFoundError('image', url, `${url} is no longer held by this process (local images live in memory); send the image bytes instead`);
    image = held;
  } else if (/^https?:\/\//i.test(url)) {
    image = await fetchImage(url, options);
  } else {
    throw new ValidationError([{ field, message: `${JSON.stringify(url.slice(0, 60))} is not a data URI, an http(s) URL or a local:// URL` }]);
  }
  if (image.bytes.byteLength > options.maxBytes) throw tooLarge(options);
  const sniffed = sniffImageType(image.bytes.subarray(0, 16));
  if (!sniffed) {
    const message = `${describe(url)} is not an image; accepted: ${ACCEPTED_IMAGE_TYPES.join(', ')}`;
    if (options.purpose === 'input') throw new ValidationError([{ field, message }]);
    throw new IntegrityError(message, { declared: image.contentType });
  }
  return { contentType: sniffed, bytes: image.bytes };
}

async function fetchImage(url: string, options: ReadImageOptions): Promise<StoredImage> {
  const shown = describe(url);
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  try {
    const response = await options.fetch(url, { signal, redirect: 'follow', headers: { accept: 'image/*' } });
    if (!response.ok) {
      if (response.status === 404 || response.status === 410) throw new NotFoundError('image', shown, `${shown} is gone (HTTP ${response.status})`);
      throw new ProviderError(`fetching ${shown} failed with HTTP ${response.status}`, { status: response.status });
    }
    const length = Number(response.headers.get('content-length'));
    if (Number.isFinite(length) && length > options.maxBytes) throw tooLarge(options);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      // Stop reading at the limit: a server that lies about (or omits) its length must not fill memory.
      if (size > options.maxBytes) throw tooLarge(options);
      chunks.push(chunk);
    }
    return { contentType: response.headers.get('content-type') ?? 'application/octet-stream', bytes: Buffer.concat(chunks) };
  } catch (error) {
    if (error instanceof KontextError) throw error;
    if (options.signal?.aborted) throw new CancelledError(`fetching ${shown} was aborted`, { cause: options.signal.reason });
    if (deadline.aborted) throw new TimeoutError('download', options.timeoutMs, { cause: error });
    throw new NetworkError(`fetching ${shown} failed: ${(error as Error).message}`, { cause: error });
  }
}

function tooLarge(options: ReadImageOptions): KontextError {
  if (options.purpose === 'download') return new BlobTooLargeError(options.maxBytes);
  return new ValidationError([{ field: 'image_url', message: `is larger than the limit of ${options.maxBytes} bytes` }]);
}

/** A URL as it may appear in a message: no query (signed URLs carry tokens there), no data. */
function describe(url: string): string {
  if (isDataUri(url)) return 'the data URI';
  try {
    const parsed = new URL(url);
    return parsed.protocol === LOCAL_URL_SCHEME ? url : `${parsed.origin}${parsed.pathname}`;
  } catch {
    return JSON.stringify(url.slice(0, 60));
  }
}

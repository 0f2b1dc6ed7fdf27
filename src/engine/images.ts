import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { request } from 'undici';
import type { BlobStore } from '../blobs/BlobStore.js';
import { NetworkError } from '../errors/NetworkError.js';
import { ValidationError } from '../errors/ValidationError.js';
import type { SessionStore } from '../store/SessionStore.js';
import type { BlobRow } from '../store/schema.js';
import { isDataUri, parseDataUri } from '../util/dataUri.js';
import { ACCEPTED_IMAGE_TYPES, sniffImageType } from '../util/imageType.js';

/** An image a user starts from: a local path, an http(s) URL, a data URI, or the bytes. */
export type ImageInput = string | Uint8Array | { bytes: Uint8Array; contentType?: string };

/**
 * Downloads a user-given image URL. Injected so the server can put its SSRF guard here,
 * and tests can point it at loopback.
 */
export type ImageFetcher = (url: string, options: { maxBytes: number; signal?: AbortSignal }) => Promise<Buffer>;

export const DEFAULT_MAX_INPUT_BYTES = 25 * 1024 * 1024;

export const fetchImageWithUndici: ImageFetcher = async (url, { maxBytes, signal }) => {
  let response;
  try {
    response = await request(url, { method: 'GET', signal, headersTimeout: 30_000, bodyTimeout: 30_000 });
  } catch (error) {
    throw new NetworkError(`could not download the image at ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new ValidationError([{ field: 'image', message: `downloading ${url} answered HTTP ${response.statusCode}; expected 200` }]);
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > maxBytes) {
      response.body.destroy();
      throw new ValidationError([{ field: 'image', message: `is larger than the limit of ${maxBytes} bytes` }]);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
};

/** Reads an ImageInput into bytes; `sourceUrl` is kept when it came from the web. */
export async function readImageInput(
  input: ImageInput,
  options: { fetchImage: ImageFetcher; maxBytes: number; field?: string; signal?: AbortSignal },
): Promise<{ bytes: Buffer; sourceUrl?: string }> {
  const field = options.field ?? 'image';
  if (typeof input === 'string') {
    if (/^https?:\/\//i.test(input)) return { bytes: await options.fetchImage(input, { maxBytes: options.maxBytes, signal: options.signal }), sourceUrl: input };
    if (isDataUri(input)) return { bytes: parseDataUri(input, field).bytes };
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
      throw new ValidationError([{ field, message: `'${input.split(':')[0]}:' URLs are not supported; give an http(s) URL, a data URI, a file path or the bytes` }]);
    }
    const info = await stat(input).catch(() => undefined);
    if (!info?.isFile()) throw new ValidationError([{ field, message: `no such file: ${input}` }]);
    if (info.size > options.maxBytes) throw new ValidationError([{ field, message: `${input} is ${info.size} bytes; the limit is ${options.maxBytes}` }]);
    return { bytes: await readFile(input) };
  }
  // JavaScript callers and JSON bodies can send anything: refuse it here, not as a TypeError below.
  const given: unknown = input instanceof Uint8Array ? input : (input as { bytes?: unknown } | null)?.bytes;
  if (!(given instanceof Uint8Array)) {
    const kind = input === null ? 'null' : Array.isArray(input) ? 'an array' : `a ${typeof input}`;
    throw new ValidationError([{ field, message: `is ${kind}; expected a file path, an http(s) URL, a data URI or the image bytes` }]);
  }
  const bytes = Buffer.from(given);
  if (bytes.length > options.maxBytes) throw new ValidationError([{ field, message: `is ${bytes.length} bytes; the limit is ${options.maxBytes}` }]);
  return { bytes };
}

/**
 * Puts verified image bytes into the archive and records their metadata. Refuses bytes that
 * are not an image we accept or that do not decode, so nothing broken enters a session.
 */
export async function archiveImage(deps: { store: SessionStore; blobs: BlobStore }, bytes: Buffer, field = 'image'): Promise<BlobRow> {
  const contentType = sniffImageType(bytes);
  if (!contentType) {
    throw new ValidationError([{ field, message: `is not a supported image; allowed: ${ACCEPTED_IMAGE_TYPES.map((t) => t.slice(6)).join(', ')}` }]);
  }
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(bytes).metadata());
    // metadata() reads only the header: decoding every pixel is what finds a truncated or
    // corrupt body. 'truncated' (not sharp's default 'warning') keeps accepting the slightly
    // irregular files cameras and browsers cope with, such as bytes after the end marker.
    await sharp(bytes, { failOn: 'truncated' }).stats();
  } catch {
    throw new ValidationError([{ field, message: `looks like ${contentType} but does not decode (truncated or corrupt)` }]);
  }
  const { hash, size } = await deps.blobs.put(bytes);
  return deps.store.recordBlob({ hash, size, contentType, width: width ?? null, height: height ?? null });
}

import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import type { BlobStore } from '../blobs/BlobStore.js';
import { ValidationError } from '../errors/ValidationError.js';
import type { ImageFetcher } from '../net/ImageFetcher.js';
import type { SessionStore } from '../store/SessionStore.js';
import type { BlobRow } from '../store/schema.js';
import { parseDataUri } from '../util/dataUri.js';
import { ACCEPTED_IMAGE_TYPES, sniffImageType } from '../util/imageType.js';

export type { ImageFetcher } from '../net/ImageFetcher.js';

/**
 * An image a session starts from, tagged with what it is: exactly one of
 * - `{ path }`: a local file, read only by an engine created with `allowLocalFiles: true`;
 * - `{ url }`: an http(s) URL, downloaded through the engine's fetcher (the SSRF guard);
 * - `{ bytes }`: the encoded image (`contentType` is informational: the type is read from the bytes);
 * - `{ dataUri }`: a `data:image/…;base64,…` URI.
 *
 * Tagged rather than a bare string so that a string a user typed is never read as a file path
 * or fetched because of how it happens to look.
 */
export type ImageInput = { path: string } | { url: string } | { bytes: Uint8Array; contentType?: string } | { dataUri: string };

/** How a caller may read an ImageInput. */
export interface ReadImageOptions {
  fetchImage: ImageFetcher;
  maxBytes: number;
  /** Whether `{ path }` may be read. Default false. */
  allowLocalFiles?: boolean;
  /** Field errors name. Default `image`. */
  field?: string;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_INPUT_BYTES = 25 * 1024 * 1024;

const FORMS = '{ path }, { url }, { bytes } or { dataUri }';
const TAGS = ['path', 'url', 'bytes', 'dataUri'] as const;
type Tag = (typeof TAGS)[number];
/** Keys a form takes besides its tag. */
const EXTRA_KEYS: Readonly<Record<Tag, readonly string[]>> = { path: [], url: [], bytes: ['contentType'], dataUri: [] };

/** What a value is, for a message: "a string", "null", "an array", "a Uint8Array". */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'a Uint8Array';
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const list = (keys: readonly string[]) => (keys.length === 1 ? keys[0]! : `${keys.slice(0, -1).join(', ')} and ${keys.at(-1)}`);

/**
 * Which form an input is, refusing anything else. JavaScript callers and JSON bodies can send
 * any value, so this checks at run time what the type only promises. Keys set to `undefined`
 * count as absent, as they do for the type checker.
 */
function tagOf(input: unknown, field: string): Tag {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const wrap = typeof input === 'string' ? ' (a string is not read as a path or URL on its own)' : input instanceof Uint8Array ? ' (wrap the bytes as { bytes })' : '';
    throw new ValidationError([{ field, message: `is ${kindOf(input)}; give ${FORMS}${wrap}` }]);
  }
  const keys = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined);
  const tags = TAGS.filter((t) => keys.includes(t));
  if (tags.length === 0) {
    const what = keys.length === 0 ? 'an empty object' : `an object with ${keys.length === 1 ? 'key' : 'keys'} ${list(keys)}`;
    throw new ValidationError([{ field, message: `is ${what}; give exactly one of ${FORMS}` }]);
  }
  if (tags.length > 1) throw new ValidationError([{ field, message: `has both ${list(tags)}; give exactly one of ${FORMS}` }]);
  const tag = tags[0]!;
  const unknown = keys.filter((k) => k !== tag && !EXTRA_KEYS[tag].includes(k));
  if (unknown.length > 0) {
    const allowed = EXTRA_KEYS[tag].length > 0 ? `it allows only ${EXTRA_KEYS[tag].join(', ')} besides` : 'it takes no other key';
    throw new ValidationError([{ field, message: `has unknown ${unknown.length === 1 ? 'key' : 'keys'} ${list(unknown)} beside ${tag}; ${allowed}` }]);
  }
  return tag;
}

function checkSize(bytes: Buffer, maxBytes: number, field: string): Buffer {
  if (bytes.length > maxBytes) throw new ValidationError([{ field, message: `is ${bytes.length} bytes; the limit is ${maxBytes}` }]);
  return bytes;
}

/** Reads an ImageInput into bytes; `sourceUrl` is kept when it came from the web. */
export async function readImageInput(input: ImageInput, options: ReadImageOptions): Promise<{ bytes: Buffer; sourceUrl?: string }> {
  const field = options.field ?? 'image';
  const tag = tagOf(input, field);
  const value: unknown = (input as Record<Tag, unknown>)[tag];
  const at = `${field}.${tag}`;
  if (tag === 'bytes') {
    if (!(value instanceof Uint8Array)) throw new ValidationError([{ field: at, message: `is ${kindOf(value)}; expected a Uint8Array (or Buffer) of the encoded image` }]);
    const contentType = (input as { contentType?: unknown }).contentType;
    if (contentType !== undefined && typeof contentType !== 'string') {
      throw new ValidationError([{ field: `${field}.contentType`, message: `is ${kindOf(contentType)}; expected a string such as image/png` }]);
    }
    return { bytes: checkSize(Buffer.from(value), options.maxBytes, at) };
  }
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError([{ field: at, message: `is ${value === '' ? 'empty' : kindOf(value)}; expected a non-empty string` }]);
  }
  if (tag === 'dataUri') {
    if (!value.startsWith('data:')) throw new ValidationError([{ field: at, message: 'does not start with data:; expected data:<type>;base64,<data>' }]);
    return { bytes: checkSize(parseDataUri(value, at).bytes, options.maxBytes, at) };
  }
  if (tag === 'url') {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ValidationError([{ field: at, message: `${JSON.stringify(value.slice(0, 200))} is not a valid URL` }]);
    }
    // Checked here too, not only by the guard: a custom fetcher may not know that only the web is meant.
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ValidationError([{ field: at, message: `'${url.protocol}' URLs are not supported; allowed: http:, https:` }]);
    }
    return { bytes: await options.fetchImage(value, { maxBytes: options.maxBytes, signal: options.signal, field: at }), sourceUrl: value };
  }
  if (!options.allowLocalFiles) {
    throw new ValidationError([
      { field: at, message: "reading local files is off; to allow it, create the engine with allowLocalFiles: true (only if whoever gives the path may read this machine's files), or pass { bytes }" },
    ]);
  }
  const info = await stat(value).catch(() => undefined);
  if (!info) throw new ValidationError([{ field: at, message: `no such file: ${value}` }]);
  if (!info.isFile()) throw new ValidationError([{ field: at, message: `${value} is not a regular file` }]);
  if (info.size > options.maxBytes) throw new ValidationError([{ field: at, message: `${value} is ${info.size} bytes; the limit is ${options.maxBytes}` }]);
  return { bytes: checkSize(await readFile(value), options.maxBytes, at) };
}

/**
 * Refuses bytes that are not an image we accept or that do not decode; returns the type and
 * size. `field` names where they came from in the error.
 */
export async function checkDecodableImage(bytes: Buffer, field: string): Promise<{ contentType: string; width?: number; height?: number }> {
  const contentType = sniffImageType(bytes);
  if (!contentType) {
    throw new ValidationError([{ field, message: `is not a supported image; allowed: ${ACCEPTED_IMAGE_TYPES.map((t) => t.slice(6)).join(', ')}` }]);
  }
  try {
    const { width, height } = await sharp(bytes).metadata();
    // metadata() reads only the header: decoding every pixel is what finds a truncated or
    // corrupt body. 'truncated' (not sharp's default 'warning') keeps accepting the slightly
    // irregular files cameras and browsers cope with, such as bytes after the end marker.
    await sharp(bytes, { failOn: 'truncated' }).stats();
    return { contentType, width, height };
  } catch {
    throw new ValidationError([{ field, message: `looks like ${contentType} but does not decode (truncated or corrupt)` }]);
  }
}

/**
 * Puts verified image bytes into the archive and records their metadata. Refuses bytes that
 * are not an image we accept or that do not decode, so nothing broken enters a session.
 */
export async function archiveImage(deps: { store: SessionStore; blobs: BlobStore }, bytes: Buffer, field = 'image'): Promise<BlobRow> {
  const { contentType, width, height } = await checkDecodableImage(bytes, field);
  const { hash, size } = await deps.blobs.put(bytes);
  return deps.store.recordBlob({ hash, size, contentType, width: width ?? null, height: height ?? null });
}

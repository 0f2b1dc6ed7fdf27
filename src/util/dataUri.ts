import { ValidationError } from '../errors/ValidationError.js';

const DATA_URI_RE = /^data:([a-z]+\/[a-z0-9.+-]+)?(?:;[a-z-]+=[^;,]*)*(;base64)?,/i;

export function isDataUri(value: string): boolean {
  return value.startsWith('data:');
}

/** Decodes a `data:` URI; throws ValidationError naming `field` if it is not one. */
export function parseDataUri(uri: string, field = 'image_url'): { contentType: string; bytes: Buffer } {
  const match = DATA_URI_RE.exec(uri);
  if (!match) throw new ValidationError([{ field, message: 'is not a valid data URI (expected data:<type>;base64,<data>)' }]);
  const payload = uri.slice(match[0].length);
  const bytes = match[2] ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'utf8');
  return { contentType: (match[1] ?? 'text/plain').toLowerCase(), bytes };
}

export function toDataUri(bytes: Uint8Array, contentType: string): string {
  return `data:${contentType};base64,${Buffer.from(bytes).toString('base64')}`;
}

/**
 * What we store in place of a data URI in a turn's params: the bytes are already in the
 * archive under this hash, and megabytes of base64 in every row would bloat the database.
 */
export function elidedDataUri(contentType: string, hash: string): string {
  return `data:${contentType};sha256=${hash},<elided>`;
}

import type { ImageContent, ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import { ValidationError } from '../errors/ValidationError.js';
import type { Output } from '../model/index.js';
import { parseDataUri } from '../util/dataUri.js';
import type { McpContext } from './context.js';

/** Where an archived original is read: `kontext://images/<sha256>`. */
export function imageUri(hash: string): string {
  return `kontext://images/${hash}`;
}

/**
 * The bytes of a picture an agent gave: downloaded through the context's fetcher (the SSRF
 * guard), or decoded. Handed to the engine as bytes, as the HTTP API does, so no string from
 * a client is ever read as a file path or fetched unguarded.
 */
export async function readImageArgument(
  image: { url?: string; bytes?: string; dataUri?: string },
  ctx: Pick<McpContext, 'fetchImage' | 'maxImageBytes'>,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (image.url !== undefined) {
    if (!/^https?:\/\//i.test(image.url)) throw new ValidationError([{ field: 'image.url', message: 'must be an http(s) URL' }], 'arguments');
    return ctx.fetchImage(image.url, { maxBytes: ctx.maxImageBytes, signal, field: 'image.url' });
  }
  const field = image.bytes !== undefined ? 'image.bytes' : 'image.dataUri';
  const bytes = image.bytes !== undefined ? Buffer.from(image.bytes, 'base64') : parseDataUri(image.dataUri ?? '', field).bytes;
  if (bytes.length > ctx.maxImageBytes) throw new ValidationError([{ field, message: `is ${bytes.length} bytes; the limit is ${ctx.maxImageBytes}` }], 'arguments');
  return bytes;
}

/**
 * An output as a chat shows it: a JPEG preview no larger than `maxPixels` on its longest
 * side (a 2 MP original as base64 would crowd a model's context), then a link to the
 * archived original, which `resources/read` serves byte for byte.
 */
export async function imageBlocks(ctx: Pick<McpContext, 'engine' | 'previewPixels'>, output: Output, label: string): Promise<[ImageContent, ResourceLink]> {
  const original = await ctx.engine.blobs.get(output.blobHash);
  const preview = await sharp(original)
    .rotate()
    .resize({ width: ctx.previewPixels, height: ctx.previewPixels, fit: 'inside', withoutEnlargement: true })
    // JPEG has no alpha: a transparent PNG shows on white, as a viewer would show it.
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 80 })
    .toBuffer();
  const size = output.width && output.height ? `${output.width}×${output.height}` : 'size unknown';
  return [
    { type: 'image', data: preview.toString('base64'), mimeType: 'image/jpeg' },
    {
      type: 'resource_link',
      uri: imageUri(output.blobHash),
      name: `${label}.${extension(output.contentType)}`,
      mimeType: output.contentType,
      description: `The archived original (${size}, ${output.contentType}); the image above is a preview.`,
    },
  ];
}

function extension(contentType: string): string {
  const sub = contentType.split('/')[1] ?? 'bin';
  return sub === 'jpeg' ? 'jpg' : sub;
}

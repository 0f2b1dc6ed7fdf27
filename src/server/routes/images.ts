import { Hono } from 'hono';
import { isKontextError } from '../../errors/KontextError.js';
import { NotFoundError } from '../../errors/NotFoundError.js';
import type { ServerContext, ServerEnv } from '../context.js';
import { ImagePath, NoQuery } from '../schemas.js';
import { pathParams, query } from '../validate.js';

/** A year: the bytes under a hash never change, so a browser may keep them as long as it likes. */
const IMMUTABLE = 'private, max-age=31536000, immutable';

/** Whether `If-None-Match` names this ETag (`*`, a list, weak or strong forms). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^"|"$/g, '');
  return header.split(',').some((part) => part.trim().replace(/^W\//, '').replace(/^"|"$/g, '') === bare);
}

/**
 * Images from the archive by content hash, with their stored type, `ETag` = the hash and
 * immutable caching; or, where the archive presigns (S3 with `presignSeconds`), a 307 to a
 * URL the client reads from the bucket itself. The access check comes first either way.
 */
export function imageRoutes(ctx: ServerContext): Hono<ServerEnv> {
  const { engine, access } = ctx;
  const app = new Hono<ServerEnv>();

  app.get('/images/:hash', async (c) => {
    const { hash } = pathParams(c, ImagePath);
    query(c, NoQuery);
    const row = (await access.canReadBlob(c.get('owner'), hash)) ? await engine.store.findBlob(hash) : undefined;
    if (!row) throw new NotFoundError('image', hash);
    const etag = `"${hash}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', IMMUTABLE);
    if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304);
    const presigned = await engine.blobs.presignedUrl?.(hash, { contentType: row.contentType });
    if (presigned !== undefined) {
      // The URL expires: the redirect itself must not be kept, only the bytes it leads to.
      c.header('ETag', undefined);
      c.header('Cache-Control', 'private, no-store');
      return c.redirect(presigned, 307);
    }
    let bytes: Buffer;
    try {
      bytes = await engine.blobs.get(hash);
    } catch (error) {
      if (isKontextError(error) && error.code === 'NOT_FOUND') throw new NotFoundError('image', hash);
      // A corrupt archive is our fault, not the caller's: a 500, logged.
      throw new Error(`archive blob ${hash} could not be read: ${(error as Error).message}`, { cause: error });
    }
    c.header('Content-Type', row.contentType);
    c.header('Content-Length', String(bytes.length));
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Content-Security-Policy', "default-src 'none'; sandbox");
    return c.body(new Uint8Array(bytes), 200);
  });

  return app;
}

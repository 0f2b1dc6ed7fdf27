import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../context.js';
import { MalformedRequestError } from '../errors/MalformedRequestError.js';
import { PayloadTooLargeError } from '../errors/PayloadTooLargeError.js';
import { NoQuery, SessionPath } from '../schemas.js';
import { pathParams, query } from '../validate.js';

const BUNDLE_TYPES = new Set(['application/gzip', 'application/x-gzip', 'application/octet-stream', 'application/x-tar']);

/**
 * Export (download a session as one bundle file) and import (upload one). The upload is
 * streamed to a private temporary file and counted as it arrives, never buffered whole;
 * the engine then verifies every image hash before writing anything.
 */
export function bundleRoutes(ctx: ServerContext): Hono<ServerEnv> {
  const { engine, access } = ctx;
  const app = new Hono<ServerEnv>();

  app.get('/sessions/:sessionId/export', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    const dir = await mkdtemp(join(tmpdir(), 'kontext-export-'));
    try {
      const file = join(dir, `${sessionId}.kontext.tgz`);
      const { bytes } = await engine.exportSession(sessionId, file);
      const stream = createReadStream(file);
      stream.once('close', () => void rm(dir, { recursive: true, force: true }));
      return c.body(Readable.toWeb(stream) as ReadableStream, 200, {
        'Content-Type': 'application/gzip',
        'Content-Length': String(bytes),
        'Content-Disposition': `attachment; filename="${sessionId}.kontext.tgz"`,
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  });

  app.post('/imports', async (c) => {
    query(c, NoQuery);
    const max = ctx.limits.bundleBytes;
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (!type || !BUNDLE_TYPES.has(type)) throw new MalformedRequestError(`send the bundle as the body with Content-Type application/gzip (got '${type ?? 'none'}')`);
    const declared = Number(c.req.header('content-length'));
    if (Number.isFinite(declared) && declared > max) throw new PayloadTooLargeError(max, 'bundle');
    const body = c.req.raw.body;
    if (!body) throw new MalformedRequestError('the request body is empty; send the bundle file');
    const dir = await mkdtemp(join(tmpdir(), 'kontext-import-'));
    try {
      const file = join(dir, 'upload.kontext.tgz');
      let size = 0;
      const counted = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>).map((chunk: Buffer) => {
        size += chunk.length;
        if (size > max) throw new PayloadTooLargeError(max, 'bundle');
        return chunk;
      });
      await pipeline(counted, createWriteStream(file, { mode: 0o600 }));
      if (size === 0) throw new MalformedRequestError('the request body is empty; send the bundle file');
      // Unpacked, images barely shrink or grow; twice the upload is room enough and bounds a bomb.
      const result = await engine.importBundle(file, { owner: c.get('owner'), maxBytes: 2 * max });
      c.header('Location', `/sessions/${result.sessionId}`);
      return c.json(result, result.alreadyPresent ? 200 : 201);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  return app;
}

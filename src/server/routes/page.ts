import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import { NotFoundError } from '../../errors/NotFoundError.js';
import { chatEditorDir } from '../packagePaths.js';
import type { ServerEnv } from '../context.js';

/** The only files served: a fixed list, so no request path can reach anything else on disk. */
const ASSETS: ReadonlyMap<string, string> = new Map([
  ['index.html', 'text/html; charset=utf-8'],
  ['app.js', 'text/javascript; charset=utf-8'],
  ['api.js', 'text/javascript; charset=utf-8'],
  ['tree.js', 'text/javascript; charset=utf-8'],
  ['messages.js', 'text/javascript; charset=utf-8'],
  ['panel.js', 'text/javascript; charset=utf-8'],
  ['compare.js', 'text/javascript; charset=utf-8'],
  ['keyboard.js', 'text/javascript; charset=utf-8'],
  ['format.js', 'text/javascript; charset=utf-8'],
  ['style.css', 'text/css; charset=utf-8'],
]);

/** Same-origin everything; images also as blob: URLs (how the page shows them when it must send a token). */
const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * The example chat editor (examples/chat-editor): plain HTML, JS modules and CSS, no build
 * step. `/` is the page, `/chat-editor/<file>` its assets. Read per request, so editing the
 * page needs no restart; they are a few kilobytes.
 */
export function pageRoutes(): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const dir = chatEditorDir();

  const serve = async (file: string) => {
    const type = ASSETS.get(file);
    if (!type) throw new NotFoundError('file', file);
    const body = await readFile(join(dir, file));
    return new Response(new Uint8Array(body), {
      headers: {
        'Content-Type': type,
        'Cache-Control': 'no-cache',
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      },
    });
  };

  app.get('/', () => serve('index.html'));
  app.get('/chat-editor/:file', (c) => serve(c.req.param('file')));
  return app;
}

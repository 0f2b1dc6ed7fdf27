import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from './errors/PayloadTooLargeError.js';

/** Routes whose body is not JSON: image uploads get the image limit, bundle imports stream with their own. */
export const UPLOAD_ROUTE = '/sessions';
export const IMPORT_ROUTE = '/imports';

/**
 * Caps request bodies before any route reads them (413 with the JSON error shape). Applies
 * the small JSON limit everywhere except the image upload and the bundle import, which is
 * streamed to disk and counted there rather than buffered here.
 */
export function bodyLimits(limits: { jsonBytes: number; uploadBytes: number }): MiddlewareHandler {
  const json = bodyLimit({
    maxSize: limits.jsonBytes,
    onError: () => {
      throw new PayloadTooLargeError(limits.jsonBytes);
    },
  });
  const upload = bodyLimit({
    maxSize: limits.uploadBytes,
    onError: () => {
      throw new PayloadTooLargeError(limits.uploadBytes, 'upload');
    },
  });
  return async function bodyLimits(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (c.req.path === IMPORT_ROUTE) return next();
    if (c.req.method === 'POST' && c.req.path === UPLOAD_ROUTE) return upload(c, next);
    return json(c, next);
  };
}

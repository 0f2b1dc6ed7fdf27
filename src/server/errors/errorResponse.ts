import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode } from '../../errors/codes.js';
import { isKontextError } from '../../errors/KontextError.js';
import type { RateLimitError } from '../../errors/RateLimitError.js';
import { statusOf } from './httpStatus.js';

/** The one error shape of the API: `{ "error": { "code", "message", "details" } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

const GENERIC_CODES: Partial<Record<number, ErrorCode>> = { 400: 'MALFORMED', 401: 'AUTH', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 413: 'TOO_LARGE', 429: 'RATE_LIMITED' };

/**
 * Turns anything thrown by a route into the JSON error shape. Unknown errors become a 500 with
 * a fixed message: their text may hold paths or SQL and is logged, never sent.
 */
export function errorResponse(c: Context, error: unknown, log: (line: string) => void): Response {
  if (isKontextError(error)) {
    const status = statusOf(error);
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="kontext"');
    if (error.code === 'RATE_LIMITED') {
      const ms = (error as RateLimitError).retryAfterMs;
      // Retry-After takes whole seconds (RFC 9110 §10.2.3); round up so the client never comes back early.
      if (typeof ms === 'number' && ms >= 0) c.header('Retry-After', String(Math.max(1, Math.ceil(ms / 1000))));
    }
    // busy_timeout already waited seconds for the lock; the holder is usually done a moment later.
    if (error.code === 'BUSY') c.header('Retry-After', '1');
    if (status >= 500) log(`${c.req.method} ${c.req.path}: ${error.code}: ${error.message}`);
    return send(c, status, error.code, error.message, error.details);
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    return send(c, status, GENERIC_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'MALFORMED'), error.message || 'request refused');
  }
  log(`${c.req.method} ${c.req.path}: unexpected error: ${(error as Error)?.stack ?? String(error)}`);
  return send(c, 500, 'INTERNAL', 'internal server error; see the server log');
}

export function send(c: Context, status: ContentfulStatusCode, code: ErrorCode, message: string, details?: Record<string, unknown>): Response {
  const body: ErrorBody = { error: { code, message, details: details ?? {} } };
  return c.json(body, status);
}

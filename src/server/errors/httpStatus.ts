import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode } from '../../errors/codes.js';
import type { KontextError } from '../../errors/KontextError.js';
import { UnauthorizedError } from './UnauthorizedError.js';

/**
 * HTTP status per error code; one row per code, so a new code cannot ship without one. Client
 * mistakes are 4xx; trouble with a provider or the network behind us is 502/504, because the
 * caller did nothing wrong and may retry.
 */
export const HTTP_STATUS_BY_CODE = {
  MALFORMED: 400,
  // The CLI's own error; no route raises it, but if one ever did, it was the caller's input.
  USAGE: 400,
  AUTH: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  // The session's budget is state, like HEAD: the same request may succeed after raising it.
  BUDGET_EXCEEDED: 409,
  CANCELLED: 409,
  NOT_FINISHED_AT_EXPORT: 409,
  TOO_LARGE: 413,
  VALIDATION: 422,
  UNSAFE_URL: 422,
  // A bundle or upload whose bytes do not match what it claims is bad input, not a crash.
  INTEGRITY: 422,
  RATE_LIMITED: 429,
  // Another process holding the database is load, not a fault of ours: a 5xx would page someone
  // and make proxies and clients treat the server as broken, where waiting a second is enough.
  BUSY: 429,
  INTERNAL: 500,
  PROVIDER: 502,
  NETWORK: 502,
  // The provider's verdict on content or its memory of a job: the request was fine, the upstream said no.
  MODERATED: 502,
  EXPIRED: 502,
  AMBIGUOUS_SUBMIT: 502,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
} as const satisfies Record<ErrorCode, ContentfulStatusCode>;

export function statusOf(error: KontextError): ContentfulStatusCode {
  // A provider refusing our FAL key is the server's misconfiguration; 401 would tell the page
  // to ask its user for a new token, which cannot help.
  if (error.code === 'AUTH' && !(error instanceof UnauthorizedError)) return 502;
  return HTTP_STATUS_BY_CODE[error.code];
}

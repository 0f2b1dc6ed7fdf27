import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { KontextError } from '../../errors/KontextError.js';
import { UnauthorizedError } from './UnauthorizedError.js';

/**
 * HTTP status per stable error code. Client mistakes are 4xx; trouble with a provider or the
 * network behind us is 502/504, because the caller did nothing wrong and may retry.
 */
const STATUS_BY_CODE: Readonly<Record<string, ContentfulStatusCode>> = {
  MALFORMED: 400,
  AUTH: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  // The session's budget is state, like HEAD: the same request may succeed after raising it.
  BUDGET_EXCEEDED: 409,
  CANCELLED: 409,
  TOO_LARGE: 413,
  VALIDATION: 422,
  UNSAFE_URL: 422,
  // A bundle or upload whose bytes do not match what it claims is bad input, not a crash.
  INTEGRITY: 422,
  RATE_LIMITED: 429,
  PROVIDER: 502,
  NETWORK: 502,
  AMBIGUOUS_SUBMIT: 502,
  TIMEOUT: 504,
};

export function statusOf(error: KontextError): ContentfulStatusCode {
  // A provider refusing our FAL key is the server's misconfiguration; 401 would tell the page
  // to ask its user for a new token, which cannot help.
  if (error.code === 'AUTH' && !(error instanceof UnauthorizedError)) return 502;
  return STATUS_BY_CODE[error.code] ?? 500;
}


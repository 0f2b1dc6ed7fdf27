import { KontextError } from './KontextError.js';

/** Still rate limited (HTTP 429) after the allowed retries. */
export class RateLimitError extends KontextError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super('RATE_LIMITED', message, { details: retryAfterMs === undefined ? undefined : { retryAfterMs } });
    this.retryAfterMs = retryAfterMs;
  }
}

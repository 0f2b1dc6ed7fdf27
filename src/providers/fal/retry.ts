/**
 * How one kind of call is retried. The policies are named constants per operation (as in
 * fal-js) because the safe answer differs: a submit costs money, a status read costs nothing.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  /** Delay before the first retry when the server gave no `Retry-After`; doubles each retry. */
  baseDelayMs: number;
  /** Upper bound of the exponential delay. */
  maxDelayMs: number;
  /** HTTP statuses that mean "not done, try again". */
  retryStatuses: readonly number[];
  /**
   * Whether a failure after the request may have reached the server (reset, dropped
   * connection, response timeout) can be retried. True only for idempotent calls.
   */
  retryAfterSend: boolean;
}

/**
 * Submits (and synchronous runs) cost money, so only failures that prove the server never
 * took the job are retried: connect-phase errors and explicit 429/502/503/504 answers.
 * A 500 is not retried: the server may have started work before failing.
 */
export const SUBMIT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  retryStatuses: [429, 502, 503, 504],
  retryAfterSend: false,
};

/**
 * Status, result, cancel and storage calls are idempotent, so they are retried more freely:
 * also after a reset or a response timeout. A 500 is not retried here because a failed
 * job's result *is* an error answer that will not change (status reads add 500, see
 * {@link withServerErrors}).
 */
export const READ_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  retryStatuses: [429, 502, 503, 504],
  retryAfterSend: true,
};

/** The policy plus 500: for status reads, where a 500 can only be the server's passing trouble. */
export function withServerErrors(policy: RetryPolicy): RetryPolicy {
  return policy.retryStatuses.includes(500) ? policy : { ...policy, retryStatuses: [...policy.retryStatuses, 500] };
}

/** A single try: for calls with their own fallback (the status stream falls back to polling). */
export const NO_RETRY: RetryPolicy = { ...READ_RETRY, maxAttempts: 1 };

/**
 * The wait before retry number `retry` (1 for the first retry): exponential, capped, with
 * "equal jitter" — half fixed, half random — so that many clients hit by the same outage
 * spread out, yet no retry collapses to zero delay.
 *
 * @param random a source of numbers in [0, 1), injectable so tests are deterministic
 * @example
 * backoffDelay(1, SUBMIT_RETRY, () => 0.5) // 375: half of 500 fixed, plus a quarter of 500
 */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Failures that happen before a connection exists, so the server cannot have seen the
 * request. Anything else (a reset, "other side closed", a response timeout) may come after
 * the body was sent — for a submit that means the job may exist.
 */
const CONNECT_PHASE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The first `code` string found on the error or its causes (undici and Node set one). */
export function transportErrorCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the failure certainly happened before the request could reach the server. */
export function isConnectPhaseError(error: unknown): boolean {
  const code = transportErrorCode(error);
  return code !== undefined && CONNECT_PHASE_CODES.has(code);
}

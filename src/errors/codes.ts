/**
 * Every stable error code, with what it means. This is the closed list a caller may switch on:
 * `KontextError.code`, the `code` of an HTTP error body, a failed turn's `errorCode` and the
 * CLI's `--json` errors all take their value from here. The server's status table and the CLI's
 * exit-code table are `Record<ErrorCode, …>`, so adding a code here fails the build until both
 * say how to report it (and test/errors/codes.test.ts until the README's errors table does).
 *
 * @example
 * if (isKontextError(error) && error.code === 'BUSY') await retryLater();
 */
export const ERROR_CODES = {
  VALIDATION: 'input was refused before anything was sent or spent; details.issues lists every problem',
  USAGE: 'the command line is wrong in a way no schema covers (a missing argument, no session selected)',
  MALFORMED: 'the HTTP request could not be read: JSON that does not parse, a broken multipart body, a wrong Content-Type',
  UNSAFE_URL: 'an image URL points where the server will not fetch from (loopback, private or metadata addresses)',
  AUTH: 'credentials are missing or refused: a client bearer token, or the provider refusing our key',
  FORBIDDEN: 'a request from another origin to the token-less loopback server',
  NOT_FOUND: 'a session, turn, branch, image, bundle or route that does not exist (or is not yours)',
  METHOD_NOT_ALLOWED: 'the resource exists but does not answer this HTTP method; the Allow header lists those it does',
  CONFLICT: 'the request conflicts with the current state (nothing to undo, the branch exists)',
  BUDGET_EXCEEDED: 'the turn would take the session over its budget; nothing was submitted',
  CANCELLED: 'the caller aborted, or the job was cancelled on the provider',
  NOT_FINISHED_AT_EXPORT: 'the turn was still running when its session was exported; the bundle holds it as failed',
  TOO_LARGE: 'a request body, image or bundle entry is over its limit',
  INTEGRITY: 'bytes do not match what they claim to be (hash mismatch, corrupt bundle)',
  RATE_LIMITED: 'still rate limited by the provider after the allowed retries, or too many turns in flight',
  BUSY: 'the database stayed locked by another process for longer than busy_timeout, or PostgreSQL stayed unreachable; retry shortly',
  UNAVAILABLE: 'the server is shutting down; retry shortly, elsewhere or after the restart',
  PROVIDER: 'the provider answered with an error: a 4xx/5xx, a failed job or a malformed result',
  MODERATED: 'the provider refused the job on content grounds; details.stage says whether the input or the output was refused',
  EXPIRED: 'the provider no longer knows the job (its results are gone); details.requestId names it',
  NETWORK: 'the connection failed before the provider could have accepted anything',
  AMBIGUOUS_SUBMIT: 'the submit was sent but no answer came; the job may have been accepted, so it was not repeated',
  TIMEOUT: 'a deadline passed; details.phase says which (connect, response, job, download, upload)',
  INTERNAL: 'an unexpected failure inside kontext-sessions; the details are in the log, not the message',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether `value` is one of {@link ERROR_CODES}, e.g. a code read back from a stored turn or a bundle. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

import { isErrorCode, type ErrorCode } from './codes.js';

/**
 * Root of every error this library throws. `code` is one of {@link ErrorCode}, stable across
 * versions, so callers (the CLI's exit codes, the server's HTTP statuses) can switch on it even
 * where `instanceof` fails across module copies.
 */
export class KontextError extends Error {
  readonly code: ErrorCode;
  /** Structured facts about the failure, safe to show and to store (never a secret). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Duck-typed rather than `instanceof`, so an error from another copy of this package counts too.
 * An unknown code (not in ERROR_CODES) does not: nothing could say how to report it.
 */
export function isKontextError(value: unknown): value is KontextError {
  return value instanceof Error && isErrorCode((value as { code?: unknown }).code) && 'details' in value;
}

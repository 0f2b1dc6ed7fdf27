/**
 * Root of every error this library throws. `code` is stable across versions so callers
 * (the CLI's exit codes, the server's HTTP statuses) can switch on it even where
 * `instanceof` fails across module copies.
 */
export class KontextError extends Error {
  readonly code: string;
  /** Structured facts about the failure, safe to show and to store (never a secret). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isKontextError(value: unknown): value is KontextError {
  return value instanceof Error && typeof (value as { code?: unknown }).code === 'string' && 'details' in value;
}

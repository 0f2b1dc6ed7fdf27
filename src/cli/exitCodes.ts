import { CommanderError } from 'commander';
import type { ErrorCode } from '../errors/codes.js';
import { isKontextError } from '../errors/KontextError.js';

/**
 * The exit statuses of `kontext`, as documented in `kontext --help`:
 *
 * - 0: the command did what was asked.
 * - 1: a well-formed request could not be carried out — the provider refused or failed, the
 *   budget would be exceeded, the turn ended failed or cancelled, a state conflict (nothing to
 *   undo, branch exists), a network or archive problem, a database locked by another process.
 * - 2: the command line is wrong — unknown command or flag, a missing argument, a value out of
 *   range (validated by the same zod schemas as the library), an unknown or ambiguous turn,
 *   branch or session id, no session selected.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Exit status per error code; one row per code, so a new code cannot ship without one.
 * NOT_FOUND is refined by {@link exitCodeFor}: 2 when it is something the user typed.
 */
export const EXIT_CODE_BY_CODE = {
  VALIDATION: EXIT.usage,
  USAGE: EXIT.usage,
  MALFORMED: EXIT.failed,
  UNSAFE_URL: EXIT.failed,
  AUTH: EXIT.failed,
  FORBIDDEN: EXIT.failed,
  NOT_FOUND: EXIT.failed,
  METHOD_NOT_ALLOWED: EXIT.failed,
  CONFLICT: EXIT.failed,
  BUDGET_EXCEEDED: EXIT.failed,
  CANCELLED: EXIT.failed,
  NOT_FINISHED_AT_EXPORT: EXIT.failed,
  TOO_LARGE: EXIT.failed,
  INTEGRITY: EXIT.failed,
  RATE_LIMITED: EXIT.failed,
  BUSY: EXIT.failed,
  UNAVAILABLE: EXIT.failed,
  PROVIDER: EXIT.failed,
  MODERATED: EXIT.failed,
  EXPIRED: EXIT.failed,
  NETWORK: EXIT.failed,
  AMBIGUOUS_SUBMIT: EXIT.failed,
  TIMEOUT: EXIT.failed,
  INTERNAL: EXIT.failed,
} as const satisfies Record<ErrorCode, ExitCode>;

/** What the user typed names these; not finding one is a usage error, not a failed operation. */
const USER_NAMED_KINDS = new Set(['turn', 'branch', 'session']);

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (!isKontextError(error)) return EXIT.failed;
  if (error.code === 'NOT_FOUND' && USER_NAMED_KINDS.has(String(error.details?.kind))) return EXIT.usage;
  return EXIT_CODE_BY_CODE[error.code];
}

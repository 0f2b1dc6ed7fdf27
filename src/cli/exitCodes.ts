import { CommanderError } from 'commander';
import { isKontextError } from '../errors/KontextError.js';

/**
 * The exit statuses of `kontext`, as documented in `kontext --help`:
 *
 * - 0: the command did what was asked.
 * - 1: a well-formed request could not be carried out — the provider refused or failed, the
 *   budget would be exceeded, the turn ended failed or cancelled, a state conflict (nothing to
 *   undo, branch exists), a network or archive problem.
 * - 2: the command line is wrong — unknown command or flag, a missing argument, a value out of
 *   range (validated by the same zod schemas as the library), an unknown or ambiguous turn,
 *   branch or session id, no session selected.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What the user typed names these; not finding one is a usage error, not a failed operation. */
const USER_NAMED_KINDS = new Set(['turn', 'branch', 'session']);

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (isKontextError(error)) {
    if (error.code === 'VALIDATION' || error.code === 'USAGE') return EXIT.usage;
    if (error.code === 'NOT_FOUND' && USER_NAMED_KINDS.has(String(error.details?.kind))) return EXIT.usage;
  }
  return EXIT.failed;
}

import { z } from 'zod';
import { parseOrThrow } from '../kontext/validation.js';
import type { Session } from '../model/index.js';
import { sessionFromRow } from '../model/fromRows.js';
import type { SessionStore } from '../store/SessionStore.js';

/** The options of a fork, as the library, the CLI and the HTTP body take them. */
export const ForkOptionsSchema = z
  .object({
    whole: z.boolean().optional().meta({ description: 'Copy the whole tree (every finished turn and branch), not only the path root → turn. Default false.' }),
    title: z.string().max(200).optional().meta({ description: 'Title of the new session. Default: the source\'s title with " (fork)".' }),
  })
  .strict();

export type ForkOptions = z.input<typeof ForkOptionsSchema>;

/** What `engine.fork` made. */
export interface ForkResult {
  /** The new session: same owner, settings and budget cap, HEAD on the copy of the turn. */
  session: Session;
  /** Source turn id → the id of its copy. */
  turnIds: Record<string, string>;
  /** Turns still running in the source (and those below them), not copied by a whole-tree fork. */
  skipped: string[];
}

/**
 * Copies the path root → `turnId` (or the whole tree) into a new session; see
 * SessionStore.forkSession and planFork for what is copied and what is not.
 */
export async function forkSession(store: SessionStore, turnId: string, options: ForkOptions = {}): Promise<ForkResult> {
  const checked = parseOrThrow(ForkOptionsSchema, options, 'fork');
  const { session, copies, skipped } = await store.forkSession(turnId, checked);
  return { session: sessionFromRow(session), turnIds: Object.fromEntries(copies), skipped };
}

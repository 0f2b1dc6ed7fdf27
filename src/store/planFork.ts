import type { OutputRow, RefRow, SessionRow, TurnRow } from './rows.js';
import { IN_FLIGHT_STATUSES } from './transitions.js';

/** What a fork starts from: rows of the source session, read in the fork's own transaction. */
export interface ForkSource {
  session: SessionRow;
  /** Parents before children: the path root → target, or the whole tree. */
  turns: readonly TurnRow[];
  outputs: readonly OutputRow[];
  /** The source's branches (whole-tree forks only; a path fork gets one new branch). */
  refs: readonly RefRow[];
  targetId: string;
}

/** The rows of the new session, and how they map to the source's. */
export interface ForkPlan {
  session: SessionRow;
  turns: TurnRow[];
  outputs: OutputRow[];
  refs: RefRow[];
  /** Source turn id → the id of its copy. */
  copies: Map<string, string>;
  /** In-flight turns of the source, and everything below them, left out of a whole-tree fork. */
  skipped: string[];
}

export interface ForkChoices {
  title: string;
  now: Date;
  newSessionId: string;
  /** A fresh turn id that none of `avoid` (the new session's branch names) is the start of. */
  newTurnId: (avoid: readonly string[]) => string;
}

/** A fork's default title: the source's, marked as a fork (untitled stays untitled). */
export function forkTitle(source: Pick<SessionRow, 'title'>): string {
  return source.title ? `${source.title} (fork)` : '';
}

/** The branch a fork makes when none of the copied ones points at its HEAD. */
const FORK_BRANCH = 'main';

/**
 * Works out a fork's rows from the source's, without touching the database (the store writes
 * them in the transaction that read the source).
 *
 * - Turns get new ids and keep everything they recorded (prompt, params, seeds, request id,
 *   timings, outputs, pins, their creation time, so siblings keep their order). They point back
 *   at their original (`originTurnId`, `originKind: 'fork'`). Their `costMicros` is 0: the new
 *   session never paid for them, so its spend starts at nothing and its budget (copied as a
 *   cap) is for what it runs itself; the original keeps what was paid.
 * - Images are shared: outputs name the same blob hashes, nothing is copied in the archive.
 * - Unfinished turns are not copied: their result would land in the source only. A whole-tree
 *   fork leaves them (and their subtrees) out and lists them in `skipped`; branches on them
 *   move up to the nearest copied ancestor.
 * - HEAD sits on the copy of the target, attached to a copied branch pointing there (the one
 *   the source's HEAD was attached to, if it is among them), else to a new branch `main` (or
 *   `fork-N` when `main` is taken). The redo stack is empty.
 */
export function planFork(source: ForkSource, choices: ForkChoices): ForkPlan {
  const skipped = new Set<string>();
  for (const turn of source.turns) {
    if (IN_FLIGHT_STATUSES.includes(turn.status) || (turn.parentId !== null && skipped.has(turn.parentId))) skipped.add(turn.id);
  }
  const kept = source.turns.filter((t) => !skipped.has(t.id));
  const parentOf = new Map(source.turns.map((t) => [t.id, t.parentId]));
  const copiedAncestor = (id: string): string => {
    let at: string | null | undefined = id;
    while (at !== null && at !== undefined && skipped.has(at)) at = parentOf.get(at);
    // The target is succeeded and every skipped turn hangs below a copied one, so a copied ancestor exists.
    return at ?? source.targetId;
  };

  // Branch names first: the new ids must not start with any of them (see requireFreeBranch).
  const branchAt = new Map(source.refs.map((r) => [r.name, copiedAncestor(r.turnId)]));
  const atTarget = [...branchAt].filter(([, turnId]) => turnId === source.targetId).map(([name]) => name);
  let headRef = source.session.headRef !== null && atTarget.includes(source.session.headRef) ? source.session.headRef : atTarget.sort()[0];
  if (headRef === undefined) {
    headRef = FORK_BRANCH;
    for (let i = 1; branchAt.has(headRef); i++) headRef = `fork-${i}`;
    branchAt.set(headRef, source.targetId);
  }
  const names = [...branchAt.keys()];

  const copies = new Map<string, string>();
  for (const turn of kept) copies.set(turn.id, choices.newTurnId(names));
  const copyOf = (id: string): string => copies.get(id)!;

  const session: SessionRow = {
    ...source.session,
    id: choices.newSessionId,
    title: choices.title,
    headTurnId: copyOf(source.targetId),
    headRef,
    redoStack: [],
    createdAt: choices.now,
    updatedAt: choices.now,
  };
  const turns: TurnRow[] = kept.map((t) => ({
    ...t,
    id: copyOf(t.id),
    sessionId: session.id,
    parentId: t.parentId === null ? null : copyOf(t.parentId),
    costMicros: 0,
    originTurnId: t.id,
    originKind: 'fork',
    // What only the source's runner needed: how to reach the job, and who held it.
    providerHandle: null,
    submitAttemptedAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
  }));
  const outputs: OutputRow[] = source.outputs.filter((o) => copies.has(o.turnId)).map((o) => ({ ...o, turnId: copyOf(o.turnId) }));
  const refs: RefRow[] = [...branchAt].map(([name, turnId]) => ({ sessionId: session.id, name, turnId: copyOf(turnId), createdAt: choices.now }));
  return { session, turns, outputs, refs, copies, skipped: [...skipped] };
}

import { ValidationError } from '../errors/ValidationError.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import { MIN_ID_PREFIX, type SessionStore } from '../store/SessionStore.js';
import type { OutputRow, SessionRow, TurnRow } from '../store/schema.js';

/** What resolving needs of a session: which it is and where its HEAD is. */
type SessionAt = Pick<SessionRow, 'id' | 'headTurnId'>;

/** The shortest id prefix we accept, so a typo does not silently pick some turn. */
export const MIN_PREFIX = MIN_ID_PREFIX;

/**
 * Resolves what a user types for a turn, git-style: `HEAD`, a branch name, a full id or a
 * unique prefix of one (at least 4 characters), optionally followed by `~N` (N parents up).
 */
export async function resolveTurnRef(store: SessionStore, session: SessionAt, ref: string, field = 'turn'): Promise<TurnRow> {
  const match = /^(.*?)(?:~(\d+))?$/.exec(ref.trim())!;
  const base = match[1]!;
  const up = match[2] === undefined ? 0 : Number(match[2]);
  let turn = await resolveBase(store, session, base, field);
  for (let i = 0; i < up; i++) {
    if (turn.parentId === null) throw new ValidationError([{ field, message: `'${ref}' goes above the root (turn '${turn.id}' has no parent)` }]);
    turn = await store.getTurn(turn.parentId);
  }
  return turn;
}

/**
 * What an edit continues from: its session and the turn `from` names, with that turn's
 * outputs when they came in the same read. `HEAD` itself — nearly every edit — is one read
 * transaction for all three; any other ref resolves as resolveTurnRef does.
 */
export async function resolveEditBase(store: SessionStore, sessionId: string, from: string): Promise<{ session: SessionRow; parent: TurnRow; parentOutputs?: OutputRow[] }> {
  if (isHead(from)) {
    const { session, head, headOutputs } = await store.headOf(sessionId);
    return { session, parent: requireHead(session, head), parentOutputs: headOutputs };
  }
  const session = await store.getSession(sessionId);
  return { session, parent: await resolveTurnRef(store, session, from, 'from') };
}

/** Whether a ref names HEAD itself (`HEAD` or `@`, nothing added). */
function isHead(ref: string): boolean {
  const trimmed = ref.trim();
  return trimmed === 'HEAD' || trimmed === '@';
}

/** The turn at HEAD, or the error a session that has none yet gets. */
function requireHead<T>(session: SessionAt, head: T | undefined): T {
  if (head === undefined) throw new NotFoundError('turn', 'HEAD', `session '${session.id}' has no HEAD yet`);
  return head;
}

async function resolveBase(store: SessionStore, session: SessionAt, base: string, field: string): Promise<TurnRow> {
  if (base === '' ) throw new ValidationError([{ field, message: 'is empty; give HEAD, a branch name, or a turn id (or a unique prefix of at least 4 characters)' }]);
  if (isHead(base)) return requireHead(session, session.headTurnId ? await store.getTurn(session.headTurnId) : undefined);
  const ref = await store.findRef(session.id, base);
  if (ref) return store.getTurn(ref.turnId);
  const exact = await store.findTurn(base);
  if (exact && exact.sessionId === session.id) return exact;
  if (base.length >= MIN_PREFIX) {
    const found = await store.findTurnsByPrefix(base, { sessionId: session.id, limit: 5 });
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      throw new ValidationError([{ field, message: `'${base}' is ambiguous; it matches ${found.map((t) => t.id).join(', ')}${found.length === 5 ? ', …' : ''}` }]);
    }
  }
  throw new NotFoundError('turn', base, `no turn or branch '${base}' in session '${session.id}'${base.length < MIN_PREFIX ? ` (id prefixes need at least ${MIN_PREFIX} characters)` : ''}`);
}

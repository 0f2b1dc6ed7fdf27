import type { SessionEngine } from '../engine/SessionEngine.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import type { Session, Turn } from '../model/index.js';
import { sessionFromRow } from '../model/fromRows.js';

/** Positive answers of `canReadBlob` remembered, so a page of thumbnails does not rescan the tree per image. */
const MAX_CACHED_GRANTS = 10_000;

/**
 * Who may see what. With tokens, a session belongs to its owner and every other caller gets
 * exactly the 404 a missing id gets (same code, same message), so ids never leak. Without
 * tokens there is one local user, who sees everything.
 */
export class Access {
  private readonly grants = new Set<string>();

  constructor(private readonly engine: SessionEngine, readonly enforced: boolean) {}

  /** The owner's session, or the NotFoundError a missing session gives. */
  async session(owner: string | null, sessionId: string): Promise<Session> {
    const session = await this.engine.store.findSession(sessionId);
    if (!session || (this.enforced && session.owner !== owner)) throw new NotFoundError('session', sessionId);
    return sessionFromRow(session);
  }

  /** A turn (id, prefix, branch, HEAD~N) of the owner's session. */
  async turn(owner: string | null, sessionId: string, ref: string, field = 'turn'): Promise<Turn> {
    await this.session(owner, sessionId);
    return this.engine.resolveTurn(sessionId, ref, field);
  }

  /** Owner filter for listing sessions. */
  listFilter(owner: string | null): { owner?: string | null } {
    return this.enforced ? { owner } : {};
  }

  /**
   * Whether the image is an input, reference or output of one of the owner's sessions. A sha256 is hard to
   * guess, but whoever holds a picture can compute its hash: without this check they could
   * learn that another user uploaded it.
   */
  async canReadBlob(owner: string | null, hash: string): Promise<boolean> {
    if (!this.enforced) return true;
    const key = `${owner}\u0000${hash}`;
    if (this.grants.has(key)) return true;
    for (const session of await this.engine.listSessions({ owner })) {
      const { turns } = await this.engine.tree(session.id);
      if (turns.some((t) => t.inputBlob === hash || t.referenceBlobs.includes(hash) || t.outputs.some((o) => o.blobHash === hash))) {
        if (this.grants.size >= MAX_CACHED_GRANTS) this.grants.clear();
        this.grants.add(key);
        return true;
      }
    }
    return false;
  }

  /** Forgets remembered grants of an owner (their session was deleted). */
  forget(owner: string | null): void {
    const prefix = `${owner}\u0000`;
    for (const key of this.grants) if (key.startsWith(prefix)) this.grants.delete(key);
  }
}

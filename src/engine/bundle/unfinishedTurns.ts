import { IN_FLIGHT_STATUSES } from '../../store/transitions.js';
import type { RefRow, SessionRow, TurnRow } from '../../store/schema.js';

/**
 * Turns that had not finished when their session was exported arrive failed, as
 * NOT_FINISHED_AT_EXPORT, and are never submitted: a resume here would send them on the
 * importer's key, paying for work nobody importing asked for. Branches and HEAD on such a
 * turn move to its nearest finished, succeeded ancestor, as after a failure here.
 */
export function settleUnfinished(session: SessionRow, turns: readonly TurnRow[], refs: readonly RefRow[], importedAt: Date): { session: SessionRow; turns: TurnRow[]; refs: RefRow[] } {
  const byId = new Map(turns.map((t) => [t.id, t]));
  const unfinished = new Set(turns.filter((t) => IN_FLIGHT_STATUSES.includes(t.status)).map((t) => t.id));
  if (unfinished.size === 0) return { session, turns: [...turns], refs: [...refs] };
  const lastGood = (id: string): string | null => {
    for (let t = byId.get(id); t; t = t.parentId === null ? undefined : byId.get(t.parentId)) if (t.status === 'succeeded') return t.id;
    return null;
  };
  const settled = turns.map((t): TurnRow =>
    unfinished.has(t.id)
      ? {
          ...t,
          status: 'failed',
          errorCode: 'NOT_FINISHED_AT_EXPORT',
          errorMessage: `turn was ${t.status} when its session was exported; it is not run on import (request id: ${t.requestId ?? 'none'})`,
          errorDetail: { statusAtExport: t.status, requestId: t.requestId },
          costMicros: 0,
          leaseOwner: null,
          leaseExpiresAt: null,
          finishedAt: importedAt,
        }
      : t,
  );
  const moved = (id: string) => (unfinished.has(id) ? lastGood(id) : id);
  const keptRefs = refs.flatMap((r) => {
    const to = moved(r.turnId);
    return to === null ? [] : [{ ...r, turnId: to }];
  });
  const head = session.headTurnId === null ? null : (moved(session.headTurnId) ?? session.headTurnId);
  const headRef = session.headRef !== null && keptRefs.some((r) => r.name === session.headRef && r.turnId === head) ? session.headRef : null;
  const redoStack = session.redoStack.filter((id) => !unfinished.has(id));
  return { session: { ...session, headTurnId: head, headRef, redoStack }, turns: settled, refs: keptRefs };
}

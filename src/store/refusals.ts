import { ConflictError } from '../errors/ConflictError.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import type { TurnRow, TurnStatus } from './rows.js';
import { IN_FLIGHT_STATUSES } from './transitions.js';

/**
 * The refusals both stores give in the same words, so an embedder sees one message whichever
 * database is behind the engine.
 */

/** Only a succeeded turn can be forked from: HEAD of the fork goes there. */
export function forkRefused(target: Pick<TurnRow, 'id' | 'status'>): ConflictError {
  const why = IN_FLIGHT_STATUSES.includes(target.status) ? `is still running (${target.status}); wait for it or cancel it` : `ended ${target.status}`;
  return new ConflictError(`turn '${target.id}' ${why}; only a succeeded turn can be forked from (HEAD of the fork goes there)`, { turnId: target.id, status: target.status });
}

/** Why a pin did not happen: no such turn, or one without a picture to keep. */
export function pinRefused(turnId: string, status: TurnStatus | undefined): NotFoundError | ConflictError {
  if (status === undefined) return new NotFoundError('turn', turnId);
  return new ConflictError(`turn '${turnId}' is ${status}; only a succeeded turn can be pinned`, { turnId, status });
}

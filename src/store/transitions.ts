import type { TurnStatus } from './schema.js';

/**
 * Allowed status moves. A turn only moves forward; `pending → succeeded` covers turns
 * that never reach a provider (source images, memo hits, exact replays).
 */
export const TURN_TRANSITIONS: Readonly<Record<TurnStatus, readonly TurnStatus[]>> = {
  pending: ['submitted', 'running', 'succeeded', 'failed', 'cancelled'],
  submitted: ['running', 'succeeded', 'failed', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export const IN_FLIGHT_STATUSES: readonly TurnStatus[] = ['pending', 'submitted', 'running'];

export function canTransition(from: TurnStatus, to: TurnStatus): boolean {
  return TURN_TRANSITIONS[from].includes(to);
}

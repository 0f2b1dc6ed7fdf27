import type { TurnRow } from './schema.js';

/**
 * Whether `owner` holds the turn's lease with more than half of `ttlMs` left — a lease it
 * took or wrote so recently that running the turn needs no new write: renewals come every
 * third of the lease, so such a lease cannot run out under a run that is starting.
 */
export function holdsFreshLease(turn: Pick<TurnRow, 'leaseOwner' | 'leaseExpiresAt'>, owner: string, nowMs: number, ttlMs: number): boolean {
  return turn.leaseOwner === owner && turn.leaseExpiresAt !== null && turn.leaseExpiresAt.getTime() - nowMs > ttlMs / 2;
}

import type { AppendOptions, NewSession, NewTurn, TurnPatch } from './repositories.js';
import type { SessionRow, TurnRow } from './rows.js';

/** A new session's row: what every store writes for `createSession`. */
export function newSessionRow(id: string, input: NewSession, now: Date): SessionRow {
  return {
    id,
    title: input.title ?? '',
    owner: input.owner ?? null,
    headTurnId: null,
    headRef: null,
    redoStack: [],
    defaultEndpoint: input.defaultEndpoint,
    defaultParams: input.defaultParams ?? {},
    budgetMicros: input.budgetMicros ?? null,
    quality: input.quality ?? {},
    createdAt: now,
    updatedAt: now,
  };
}

/** A new turn's row, finished (`complete`) or leased (`lease`) when written so. */
export function newTurnRow(id: string, depth: number, input: NewTurn, options: AppendOptions, now: Date): TurnRow {
  const row: TurnRow = {
    id,
    sessionId: input.sessionId,
    parentId: input.parentId,
    depth,
    kind: input.kind,
    endpointId: input.endpointId ?? null,
    provider: input.provider ?? null,
    prompt: input.prompt ?? null,
    params: input.params ?? {},
    seedRequested: input.seedRequested ?? null,
    seedUsed: null,
    status: input.status ?? 'pending',
    requestId: null,
    providerHandle: null,
    errorCode: null,
    errorMessage: null,
    errorDetail: null,
    timings: null,
    costMicros: options.reserveMicros ?? 0,
    selectedOutput: 0,
    inputBlob: input.inputBlob ?? null,
    referenceBlobs: [...(input.referenceBlobs ?? [])],
    originTurnId: input.originTurnId ?? null,
    originKind: input.originKind ?? null,
    submitAttemptedAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    sizes: input.sizes ?? null,
    qualityOptions: input.qualityOptions ?? null,
    drift: null,
    pinnedAt: null,
  };
  // A finished turn (memo hit, exact replay, source image) is written finished in one insert.
  if (options.complete) return { ...row, ...definedOnly(options.complete.patch ?? {}), status: 'succeeded' };
  if (options.lease) return { ...row, leaseOwner: options.lease.owner, leaseExpiresAt: new Date(now.getTime() + options.lease.ttlMs) };
  return row;
}

/**
 * The segment of each turn of an imported tree (parents first): a turn continues its parent's
 * segment when no turn of that segment has its depth yet, and starts its own otherwise.
 */
export function segmentsOf(turns: readonly Pick<TurnRow, 'id' | 'parentId' | 'depth'>[]): Map<string, string> {
  const placed = new Map<string, string>();
  const taken = new Set<string>();
  for (const turn of turns) {
    const parentSegment = turn.parentId === null ? undefined : placed.get(turn.parentId);
    const segment = parentSegment !== undefined && !taken.has(`${parentSegment} ${turn.depth}`) ? parentSegment : turn.id;
    placed.set(turn.id, segment);
    taken.add(`${segment} ${turn.depth}`);
  }
  return placed;
}

/** The entries whose value is not undefined: an absent field is left as it is, never nulled. */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(patch) as (keyof T)[]) if (patch[key] !== undefined) out[key] = patch[key];
  return out;
}

export type { TurnPatch };

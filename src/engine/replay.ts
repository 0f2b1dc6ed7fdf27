import { withoutImages } from '../kontext/imageFields.js';
import { ValidationError } from '../errors/ValidationError.js';
import { validateRefName, type BranchName } from '../store/SessionStore.js';
import type { TurnRow } from '../store/schema.js';
import { pixelDifference, type Fidelity } from './fidelity.js';
import type { Turn } from '../model/index.js';
import type { SessionEngine, TurnParent } from './SessionEngine.js';

export type ReplayMode = 'exact' | 'fresh';

export interface ReplayOptions {
  /** Last turn of the path to replay (root → it). Default HEAD. */
  to?: string;
  /** `exact` reuses stored outputs (no provider call); `fresh` runs every turn again with its recorded seed. */
  mode?: ReplayMode;
  /** Branch to create at the replayed tip. Default `replay-N`. */
  branch?: string;
  signal?: AbortSignal;
}

export interface ReplayStep {
  original: string;
  replayed: string;
  status: TurnRow['status'];
  /** Fresh replays: how far the new picked output is from the original one. */
  fidelity?: Fidelity;
}

export interface ReplayReport {
  mode: ReplayMode;
  branch: string;
  tip: string;
  steps: ReplayStep[];
  /** Provider submissions this replay made (0 for exact). */
  providerCalls: number;
  costMicros: number;
}

/**
 * Replays the path root → `to` into a new branch that shares the root. Exact replays copy
 * the stored results (the archive is the source; nothing is sent anywhere); fresh replays
 * send each turn again with the same endpoint, params and the seed it actually used, and
 * report how close each new image is to the old one.
 */
export async function replayPath(engine: SessionEngine, sessionId: string, options: ReplayOptions = {}): Promise<ReplayReport> {
  const mode = options.mode ?? 'exact';
  if (mode !== 'exact' && mode !== 'fresh') throw new ValidationError([{ field: 'mode', message: `'${String(mode)}' is not allowed; allowed: exact, fresh` }]);
  const target = await engine.resolveTurn(sessionId, options.to ?? 'HEAD', 'to');
  const path = await engine.path(target.id);
  const unfinished = path.find((t) => t.status !== 'succeeded');
  if (unfinished) {
    throw new ValidationError([{ field: 'to', message: `turn '${unfinished.id}' on that path is ${unfinished.status}; only a path of succeeded turns can be replayed` }]);
  }
  // Without a name, the first free `replay-N`, chosen in the transaction that takes it: two
  // replays at once never pick the same one.
  const wanted = options.branch ?? { numbered: 'replay' };
  if (typeof wanted === 'string') {
    validateRefName(wanted);
    if (await engine.store.findRef(sessionId, wanted)) throw new ValidationError([{ field: 'branch', message: `'${wanted}' already exists` }]);
  }

  if (mode === 'exact') return copyPath(engine, sessionId, path, wanted);

  // A fresh replay pays for every turn it sends: its branch is taken (at the root) before the
  // first send, so a name lost to someone else is refused before anything is spent.
  const branch = (await engine.store.reserveBranch(sessionId, wanted, path[0]!.id)).name;

  const steps: ReplayStep[] = [];
  let parent: TurnParent = path[0]!;
  let providerCalls = 0;
  let costMicros = 0;
  for (const original of path.slice(1)) {
    const next = await rerunTurn(engine, original, parent, options.signal);
    providerCalls++;
    costMicros += next.costMicros;
    const step: ReplayStep = { original: original.id, replayed: next.id, status: next.status };
    if (next.status === 'succeeded') step.fidelity = await compareSelected(engine, original, next);
    steps.push(step);
    if (next.status !== 'succeeded') break;
    parent = next;
  }
  await engine.store.moveBranch(sessionId, branch, parent.id, { attachHead: true });
  engine.events.emit({ type: 'head.moved', sessionId, turnId: parent.id });
  return { mode, branch, tip: parent.id, steps, providerCalls, costMicros };
}

/**
 * An exact replay: new turns holding the same outputs (same blobs, cost 0), the branch at
 * their tip and HEAD on it, written as one transaction — the copy is whole or not there.
 */
async function copyPath(engine: SessionEngine, sessionId: string, path: readonly Turn[], wanted: BranchName): Promise<ReplayReport> {
  const root = path[0]!;
  const originals = path.slice(1);
  const finishedAt = new Date();
  const { turns: copies, branch } = await engine.store.appendChain(
    sessionId,
    root.id,
    originals.map((original) => ({
      turn: {
        kind: original.kind,
        endpointId: original.endpointId,
        provider: original.provider,
        prompt: original.prompt,
        params: original.params,
        seedRequested: original.seedRequested,
        inputBlob: original.inputBlob,
        referenceBlobs: original.referenceBlobs,
        originTurnId: original.id,
        originKind: 'replay-exact' as const,
      },
      outputs: original.outputs.map((o) => ({ ...o })),
      patch: { seedUsed: original.seedUsed, timings: original.timings, costMicros: 0, finishedAt, selectedOutput: original.selectedOutput },
    })),
    { branch: wanted },
  );
  // Replaying the root alone copies nothing: the branch then goes on the root itself.
  const tip = copies.at(-1)?.id ?? root.id;
  engine.events.emit({ type: 'head.moved', sessionId, turnId: tip });
  const steps = copies.map((copy, i) => ({ original: originals[i]!.id, replayed: copy.id, status: copy.status }));
  return { mode: 'exact', branch: branch!, tip, steps, providerCalls: 0, costMicros: 0 };
}

/** What re-running a turn reads of it: a store row and a public Turn both have it. */
export type RerunSource = Pick<TurnRow, 'id' | 'sessionId' | 'kind' | 'endpointId' | 'params' | 'prompt' | 'seedUsed' | 'seedRequested' | 'selectedOutput' | 'referenceBlobs'>;

/** Sends the turn again with its recorded used seed, chained from `parent`. */
export async function rerunTurn(
  engine: SessionEngine,
  original: RerunSource,
  parent: TurnParent,
  signal: AbortSignal | undefined,
  change: { prompt?: string; params?: Record<string, unknown>; originKind?: 'replay-fresh' | 'whatif'; memo?: 'auto' | 'never' } = {},
): Promise<Turn> {
  const endpoint = engine.endpoints.get(original.endpointId ?? engine.defaultEndpoint);
  const { prompt: _p, ...recorded } = withoutImages(original.params);
  const seed = original.seedUsed ?? original.seedRequested;
  const params = { ...recorded, ...(seed === null ? {} : { seed }), ...change.params };
  const prompt = change.prompt ?? original.prompt ?? '';
  // The same reference images again, from the archive: a fresh replay sends what the original did.
  const validated = engine.validateRequest(endpoint, prompt, params, original.referenceBlobs.length);
  const turn = await engine.createTurn({
    references: original.referenceBlobs,
    sessionId: original.sessionId,
    parent,
    kind: original.kind,
    endpoint,
    prompt: validated.prompt as string,
    params: validated,
    candidate: undefined,
    memo: change.memo ?? 'never',
    originTurnId: original.id,
    originKind: change.originKind ?? 'replay-fresh',
    moveHead: false,
  });
  const done = await engine.finish(turn, signal);
  if (done.status === 'succeeded' && original.selectedOutput !== 0 && original.selectedOutput < done.outputs.length) {
    return engine.pick(done.id, original.selectedOutput);
  }
  return done;
}

async function compareSelected(engine: SessionEngine, original: Turn, replayed: Turn): Promise<Fidelity | undefined> {
  const a = original.outputs[original.selectedOutput];
  const b = replayed.outputs[replayed.selectedOutput];
  if (!a || !b) return undefined;
  return pixelDifference(await engine.blobs.get(a.blobHash), await engine.blobs.get(b.blobHash));
}

import type { SessionTree, TurnView } from '../engine/SessionEngine.js';
import type { EngineEvent } from '../engine/events.js';
import type { RefRow, SessionRow } from '../store/schema.js';
import type { z } from 'zod';
import type { BranchJson, EventJson, OutputJson, SessionJson, TreeJson, TurnJson } from './schemas.js';

/**
 * Rows as the API shows them: times as ISO strings, images with the URL that serves them,
 * and nothing internal (leases, provider handles, provider URLs that may be megabytes of data URI).
 */

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function imageUrl(hash: string): string {
  return `/images/${hash}`;
}

export function sessionJson(s: SessionRow): z.output<typeof SessionJson> {
  return {
    id: s.id,
    title: s.title,
    owner: s.owner,
    headTurnId: s.headTurnId,
    headRef: s.headRef,
    redoStack: s.redoStack,
    defaultEndpoint: s.defaultEndpoint,
    defaultParams: s.defaultParams,
    budgetMicros: s.budgetMicros,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function turnJson(t: TurnView): z.output<typeof TurnJson> {
  const outputs: z.output<typeof OutputJson>[] = t.outputs.map((o) => ({
    index: o.index,
    hash: o.blobHash,
    url: imageUrl(o.blobHash),
    width: o.width,
    height: o.height,
    contentType: o.contentType,
    nsfw: o.nsfw,
  }));
  return {
    id: t.id,
    sessionId: t.sessionId,
    parentId: t.parentId,
    depth: t.depth,
    kind: t.kind,
    status: t.status,
    prompt: t.prompt,
    endpointId: t.endpointId,
    provider: t.provider,
    params: t.params,
    seedRequested: t.seedRequested,
    seedUsed: t.seedUsed,
    requestId: t.requestId,
    error: t.errorCode ? { code: t.errorCode, message: t.errorMessage ?? '' } : null,
    timings: t.timings,
    costMicros: t.costMicros,
    selectedOutput: t.selectedOutput,
    inputBlob: t.inputBlob,
    originTurnId: t.originTurnId,
    originKind: t.originKind,
    createdAt: t.createdAt.toISOString(),
    startedAt: iso(t.startedAt),
    finishedAt: iso(t.finishedAt),
    outputs,
    sizes: t.sizes,
    drift: t.drift,
  };
}

export function branchJson(r: RefRow): z.output<typeof BranchJson> {
  return { name: r.name, turnId: r.turnId, createdAt: r.createdAt.toISOString() };
}

export function treeJson(tree: SessionTree): z.output<typeof TreeJson> {
  return { session: sessionJson(tree.session), turns: tree.turns.map(turnJson), branches: tree.refs.map(branchJson) };
}

export function eventJson(e: EngineEvent): z.output<typeof EventJson> {
  const { logs, ...rest } = e as EngineEvent & { logs?: readonly { message: string; level?: string; timestamp?: string }[] };
  return logs ? { ...rest, logs: logs.map((l) => ({ ...l })) } : rest;
}

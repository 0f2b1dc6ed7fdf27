import type { z } from 'zod';
import type { SessionTree } from '../engine/SessionEngine.js';
import type { EngineEvent } from '../engine/events.js';
import { formatMicros } from '../format/logGraph.js';
import type { Branch, Output, Session, Turn } from '../model/index.js';
import type { SubtreeDeletion } from '../store/SessionStore.js';
import type { EndpointSpec } from '../kontext/endpoints.js';
import { capabilitiesOf } from '../kontext/capabilities.js';
import type { BranchJson, EndpointJson, EventJson, HeadJson, OutputJson, SessionJson, SubtreeDeletionJson, TreeJson, TurnJson } from './schemas.js';

/**
 * The one presenter: engine objects as the documents the HTTP API answers, the CLI prints with
 * `--json` and MCP tools return. Times become ISO strings, and nothing internal shows (provider
 * URLs may be megabytes of data URI, and expire; the archive is what counts).
 *
 * Only the address of an image differs between interfaces, so each passes its own.
 */
export type ImageAddress = (hash: string) => string;

/** Over HTTP an image is served at `/images/<hash>`. */
export const httpImageAddress: ImageAddress = (hash) => `/images/${hash}`;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function sessionDoc(s: Session): z.output<typeof SessionJson> {
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
    quality: s.quality,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function outputDoc(o: Output, turn: Pick<Turn, 'selectedOutput'>, address: ImageAddress): z.output<typeof OutputJson> {
  return {
    index: o.index,
    picked: o.index === turn.selectedOutput,
    hash: o.blobHash,
    url: address(o.blobHash),
    width: o.width,
    height: o.height,
    contentType: o.contentType,
    nsfw: o.nsfw,
  };
}

export function turnDoc(t: Turn, address: ImageAddress): z.output<typeof TurnJson> {
  const picked = t.outputs.find((o) => o.index === t.selectedOutput);
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
    cost: formatMicros(t.costMicros),
    selectedOutput: t.selectedOutput,
    image: picked ? address(picked.blobHash) : null,
    inputBlob: t.inputBlob,
    references: t.referenceBlobs.map(address),
    originTurnId: t.originTurnId,
    originKind: t.originKind,
    createdAt: t.createdAt.toISOString(),
    startedAt: iso(t.startedAt),
    finishedAt: iso(t.finishedAt),
    outputs: t.outputs.map((o) => outputDoc(o, t, address)),
    sizes: t.sizes,
    drift: t.drift,
    pinned: t.pinned,
  };
}

/** A session with its HEAD turn: the answer of every call that moves HEAD or reads a session. */
export function headDoc(session: Session, head: Turn | null, address: ImageAddress): z.output<typeof HeadJson> {
  return { session: sessionDoc(session), head: head ? turnDoc(head, address) : null };
}

export function branchDoc(b: Branch): z.output<typeof BranchJson> {
  return { name: b.name, turnId: b.turnId, createdAt: b.createdAt.toISOString() };
}

export function treeDoc(tree: SessionTree, address: ImageAddress): z.output<typeof TreeJson> {
  return { session: sessionDoc(tree.session), turns: tree.turns.map((t) => turnDoc(t, address)), branches: tree.branches.map(branchDoc) };
}

export function subtreeDeletionDoc(d: SubtreeDeletion): z.output<typeof SubtreeDeletionJson> {
  return { ...d, headMovedTo: d.headMovedTo ?? null };
}

export function eventDoc(e: EngineEvent): z.output<typeof EventJson> {
  const { logs, ...rest } = e as EngineEvent & { logs?: readonly { message: string; level?: string; timestamp?: string }[] };
  return logs ? { ...rest, logs: logs.map((l) => ({ ...l })) } : rest;
}

/** An endpoint of the registry as users choose one: its price and what it can take. */
export function endpointDoc(e: EndpointSpec): z.output<typeof EndpointJson> {
  const { maxReferences, aspectRatios, sizes, seed } = capabilitiesOf(e);
  return {
    id: e.id,
    kind: e.kind,
    provider: e.provider,
    title: e.title,
    priceMicros: e.priceMicrosPerImage,
    price: formatMicros(e.priceMicrosPerImage),
    pricedBySize: e.priceMicros !== undefined,
    maxReferences,
    aspectRatios: [...aspectRatios],
    sizes: sizes && { ...sizes },
    seed,
  };
}

import type { OutputRow, RefRow, SessionRow, TurnRow } from '../store/schema.js';
import type { Branch } from './Branch.js';
import type { Session } from './Session.js';
import type { Output, Turn, TurnParams } from './Turn.js';

/**
 * Store rows as the public model. Fields are copied one by one, so nothing the store keeps
 * for itself (leases, provider handles, submit marks) reaches an embedder, even at runtime.
 */

export function sessionFromRow(row: SessionRow): Session {
  return {
    id: row.id,
    title: row.title,
    owner: row.owner,
    headTurnId: row.headTurnId,
    headRef: row.headRef,
    redoStack: [...row.redoStack],
    defaultEndpoint: row.defaultEndpoint,
    defaultParams: row.defaultParams as TurnParams,
    budgetMicros: row.budgetMicros,
    quality: row.quality,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function outputFromRow(row: OutputRow): Output {
  return {
    index: row.index,
    blobHash: row.blobHash,
    width: row.width,
    height: row.height,
    contentType: row.contentType,
    nsfw: row.nsfw,
    providerUrl: row.providerUrl,
  };
}

export function turnFromRow(row: TurnRow, outputs: readonly OutputRow[]): Turn {
  return {
    id: row.id,
    sessionId: row.sessionId,
    parentId: row.parentId,
    depth: row.depth,
    kind: row.kind,
    status: row.status,
    prompt: row.prompt,
    endpointId: row.endpointId,
    provider: row.provider,
    params: row.params as TurnParams,
    seedRequested: row.seedRequested,
    seedUsed: row.seedUsed,
    requestId: row.requestId,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    errorDetail: row.errorDetail,
    timings: row.timings,
    costMicros: row.costMicros,
    selectedOutput: row.selectedOutput,
    inputBlob: row.inputBlob,
    referenceBlobs: [...row.referenceBlobs],
    originTurnId: row.originTurnId,
    originKind: row.originKind,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    outputs: outputs.map(outputFromRow),
    sizes: row.sizes,
    drift: row.drift,
    qualityOptions: row.qualityOptions,
    pinned: row.pinnedAt !== null,
  };
}

export function branchFromRow(row: RefRow): Branch {
  return { sessionId: row.sessionId, name: row.name, turnId: row.turnId, createdAt: row.createdAt };
}

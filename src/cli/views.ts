import type { BlobStore } from '../blobs/BlobStore.js';
import type { TurnView } from '../engine/SessionEngine.js';
import { describeTurn, formatMicros } from '../format/logGraph.js';
import type { OutputRow, RefRow, SessionRow, TurnRow } from '../store/schema.js';

/** How many characters of an id the text output shows (the JSON always has full ids). */
export const SHORT_ID = 8;

export const short = (id: string | null | undefined): string => (id ? id.slice(0, SHORT_ID) : '-');

/** An output as the CLI shows it: where its image file is in the archive, and whether it is the picked one. */
export function outputJson(output: OutputRow, turn: TurnRow, blobs: BlobStore) {
  return {
    index: output.index,
    picked: output.index === turn.selectedOutput,
    path: blobs.localPath(output.blobHash) ?? null,
    blobHash: output.blobHash,
    width: output.width,
    height: output.height,
    contentType: output.contentType,
    nsfw: output.nsfw,
    providerUrl: output.providerUrl,
  };
}

/**
 * A turn as a JSON document: everything a script needs (params, seeds, cost, timings, files),
 * without the engine's bookkeeping (leases, provider handles).
 */
export function turnJson(turn: TurnView, blobs: BlobStore) {
  const picked = turn.outputs[turn.selectedOutput];
  return {
    id: turn.id,
    sessionId: turn.sessionId,
    parentId: turn.parentId,
    kind: turn.kind,
    status: turn.status,
    prompt: turn.prompt,
    endpointId: turn.endpointId,
    provider: turn.provider,
    params: turn.params,
    seedRequested: turn.seedRequested,
    seedUsed: turn.seedUsed,
    costMicros: turn.costMicros,
    cost: formatMicros(turn.costMicros),
    requestId: turn.requestId,
    error: turn.errorCode === null ? null : { code: turn.errorCode, message: turn.errorMessage, detail: turn.errorDetail },
    timings: turn.timings,
    origin: turn.originKind === null ? null : { kind: turn.originKind, turnId: turn.originTurnId },
    selectedOutput: turn.selectedOutput,
    image: picked ? (blobs.localPath(picked.blobHash) ?? null) : null,
    outputs: turn.outputs.map((o) => outputJson(o, turn, blobs)),
    sizes: turn.sizes,
    drift: turn.drift,
    createdAt: turn.createdAt,
    startedAt: turn.startedAt,
    finishedAt: turn.finishedAt,
  };
}

export function sessionJson(session: SessionRow) {
  return {
    id: session.id,
    title: session.title,
    head: session.headTurnId,
    headRef: session.headRef,
    defaultEndpoint: session.defaultEndpoint,
    defaultParams: session.defaultParams,
    budgetMicros: session.budgetMicros,
    quality: session.quality,
    createdAt: session.createdAt,
    updatedAt: session.updatedAt,
  };
}

/** A turn in a few lines: the log line (id, prompt, seed, cost, status), then its image files. */
export function turnLines(turn: TurnView, blobs: BlobStore, labels: readonly string[] = []): string[] {
  const lines = [describeTurn(turn, labels, SHORT_ID)];
  if (turn.errorMessage) lines.push(`  error: ${turn.errorCode}: ${turn.errorMessage}`);
  for (const o of turn.outputs) lines.push(`  ${imageLine(o, turn, blobs)}`);
  return lines;
}

/** `* 0  /path/to/blob  512×384 image/jpeg` (`*` marks the picked candidate). */
export function imageLine(output: OutputRow, turn: TurnRow, blobs: BlobStore): string {
  const size = output.width && output.height ? `${output.width}×${output.height}` : '?×?';
  const mark = output.index === turn.selectedOutput ? '*' : ' ';
  return `${mark} ${output.index}  ${blobs.localPath(output.blobHash) ?? output.blobHash}  ${size} ${output.contentType}${output.nsfw ? ' (flagged nsfw)' : ''}`;
}

/** Where HEAD is, the way git says it: `HEAD is now at abcd1234 (main) make it night`. */
export function headLine(session: SessionRow, head: TurnRow | null, verb = 'HEAD is now at'): string {
  if (!head) return 'HEAD is not set';
  const where = session.headRef ? ` (${session.headRef})` : ' (detached)';
  const what = head.kind === 'source' ? '[source image]' : (head.prompt ?? '');
  return `${verb} ${short(head.id)}${where} ${what}`.trimEnd();
}

/** Timings as fal reports them (seconds) plus the engine's own (`*_ms`), in one readable line. */
export function timingsText(timings: Record<string, number> | null): string {
  if (!timings || Object.keys(timings).length === 0) return '-';
  return Object.entries(timings)
    .map(([key, value]) => (key.endsWith('_ms') ? `${key.slice(0, -3)} ${(value / 1000).toFixed(2)} s` : `${key} ${value.toFixed(2)} s`))
    .join(' · ');
}

/** Names of the branches pointing at each turn. */
export function refsByTurn(refs: readonly RefRow[]): Map<string, string[]> {
  const byTurn = new Map<string, string[]>();
  for (const ref of refs) byTurn.set(ref.turnId, [...(byTurn.get(ref.turnId) ?? []), ref.name]);
  return byTurn;
}

/** The stderr line for a turn that did not succeed (exit status 1), or undefined when it did. */
export function turnFailure(turn: TurnRow): string | undefined {
  if (turn.status === 'succeeded') return undefined;
  const reason = turn.errorCode ? `: ${turn.errorCode}: ${turn.errorMessage ?? ''}`.trimEnd() : '';
  return `turn ${short(turn.id)} ${turn.status}${reason}`;
}

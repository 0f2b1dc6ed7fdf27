import { describeTurn } from '../format/logGraph.js';
import type { Branch, Output, Session, Turn } from '../model/index.js';
import type { ImageAddress } from './documents.js';

/**
 * The same engine objects as lines a person reads: the CLI's text output and the first block of
 * an MCP result. The CLI shortens ids to SHORT_ID characters, as git does; MCP shows them whole,
 * since an agent copies them into its next call.
 */

export const SHORT_ID = 8;
export const FULL_ID = 64;

export const short = (id: string | null | undefined, length = SHORT_ID): string => (id ? id.slice(0, length) : '-');

/** The labels `kontext log` puts on a turn: `HEAD -> main`, `winter`, or `HEAD` when detached there. */
export function labelsOf(turn: Pick<Turn, 'id'>, session: Pick<Session, 'headTurnId' | 'headRef'>, branches: readonly Pick<Branch, 'name' | 'turnId'>[]): string[] {
  const labels = branches.filter((b) => b.turnId === turn.id).map((b) => (session.headRef === b.name && session.headTurnId === turn.id ? `HEAD -> ${b.name}` : b.name));
  if (session.headTurnId === turn.id && !labels.some((l) => l.startsWith('HEAD'))) labels.unshift('HEAD');
  return labels;
}

/** A turn in a few lines: the log line (id, prompt, seed, cost, status), its error, then its images. */
export function turnLines(turn: Turn, address: ImageAddress, labels: readonly string[] = [], idLength = SHORT_ID): string[] {
  const lines = [describeTurn(turn, labels, idLength)];
  if (turn.errorMessage) lines.push(`  error: ${turn.errorCode}: ${turn.errorMessage}`);
  for (const o of turn.outputs) lines.push(`  ${imageLine(o, turn, address)}`);
  turn.referenceBlobs.forEach((hash, i) => lines.push(`  ref ${i + 1}  ${address(hash)}`));
  return lines;
}

/** `* 0  /path/to/blob  512×384 image/jpeg` (`*` marks the picked candidate). */
export function imageLine(output: Output, turn: Pick<Turn, 'selectedOutput'>, address: ImageAddress): string {
  const size = output.width && output.height ? `${output.width}×${output.height}` : '?×?';
  const mark = output.index === turn.selectedOutput ? '*' : ' ';
  return `${mark} ${output.index}  ${address(output.blobHash)}  ${size} ${output.contentType}${output.nsfw ? ' (flagged nsfw)' : ''}`;
}

/** Where HEAD is, the way git says it: `HEAD is now at abcd1234 (main) make it night`. */
export function headLine(session: Pick<Session, 'headRef'>, head: Pick<Turn, 'id' | 'kind' | 'prompt'> | null, verb = 'HEAD is now at', idLength = SHORT_ID): string {
  if (!head) return 'HEAD is not set';
  const where = session.headRef ? ` (${session.headRef})` : ' (detached)';
  const what = head.kind === 'source' ? '[source image]' : (head.prompt ?? '');
  return `${verb} ${short(head.id, idLength)}${where} ${what}`.trimEnd();
}

/** Timings as fal reports them (seconds) plus the engine's own (`*_ms`), in one readable line. */
export function timingsText(timings: Record<string, number> | null): string {
  if (!timings || Object.keys(timings).length === 0) return '-';
  return Object.entries(timings)
    .map(([key, value]) => (key.endsWith('_ms') ? `${key.slice(0, -3)} ${(value / 1000).toFixed(2)} s` : `${key} ${value.toFixed(2)} s`))
    .join(' · ');
}

/** Names of the branches pointing at each turn. */
export function branchesByTurn(branches: readonly Pick<Branch, 'name' | 'turnId'>[]): Map<string, string[]> {
  const byTurn = new Map<string, string[]>();
  for (const b of branches) byTurn.set(b.turnId, [...(byTurn.get(b.turnId) ?? []), b.name]);
  return byTurn;
}

/** What a turn that did not succeed says: `turn abcd1234 failed: PROVIDER: <message>`; undefined when it succeeded. */
export function turnFailure(turn: Pick<Turn, 'id' | 'status' | 'errorCode' | 'errorMessage'>, idLength = SHORT_ID): string | undefined {
  if (turn.status === 'succeeded') return undefined;
  const reason = turn.errorCode ? `: ${turn.errorCode}: ${turn.errorMessage ?? ''}`.trimEnd() : '';
  return `turn ${short(turn.id, idLength)} ${turn.status}${reason}`;
}

import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import type { TurnView } from '../engine/SessionEngine.js';
import { describeTurn } from '../format/logGraph.js';
import { sessionJson, turnJson } from '../server/present.js';
import type { RefRow, SessionRow } from '../store/schema.js';
import type { McpContext } from './context.js';
import { imageBlocks, imageUri } from './images.js';

/** Ids are shown whole: an agent copies them into its next call, where a prefix could one day be ambiguous. */
const FULL_ID = 64;

/**
 * A turn as the HTTP API shows it (the project's one presenter), with each output's address
 * being its MCP resource: `/images/<hash>` names nothing to a stdio client.
 */
export function turnDoc(turn: TurnView) {
  const json = turnJson(turn);
  return { ...json, outputs: json.outputs.map((o) => ({ ...o, url: imageUri(o.hash) })) };
}

/** A session and its HEAD turn, the shape of the HTTP API's session answers. */
export function sessionDoc(session: SessionRow, head: TurnView | null) {
  return { session: sessionJson(session), head: head ? turnDoc(head) : null };
}

/** The log line of a turn (`id (HEAD -> main) prompt  · seed 7 · $0.04`), as `kontext log` prints it but with the whole id. */
export function turnLine(turn: TurnView, session: SessionRow, refs: readonly RefRow[]): string {
  const labels = refs.filter((r) => r.turnId === turn.id).map((r) => (session.headRef === r.name && session.headTurnId === turn.id ? `HEAD -> ${r.name}` : r.name));
  if (session.headTurnId === turn.id && !labels.some((l) => l.startsWith('HEAD'))) labels.unshift('HEAD');
  return describeTurn(turn, labels, FULL_ID);
}

/**
 * The images of a turn: every candidate (`all`) or only the picked one, each as a preview and
 * a link to its original. A turn without outputs (failed, cancelled) has none.
 */
export async function turnImages(ctx: Pick<McpContext, 'engine' | 'previewPixels'>, turn: TurnView, which: 'all' | 'picked' = 'all'): Promise<ContentBlock[]> {
  const outputs = which === 'all' ? turn.outputs : turn.outputs.filter((o) => o.index === turn.selectedOutput);
  const blocks: ContentBlock[] = [];
  for (const output of outputs) blocks.push(...(await imageBlocks(ctx, output, `turn-${turn.id}-${output.index}`)));
  return blocks;
}

/**
 * A tool result: the lines a person would read first, then the images, then the same data as
 * JSON, both as text (for clients that read only text, as MCP advises) and as structured content.
 */
export function toolResult(lines: readonly string[], data: Record<string, unknown>, images: readonly ContentBlock[] = [], isError = false): CallToolResult {
  const content: ContentBlock[] = [{ type: 'text', text: lines.join('\n') }, ...images, { type: 'text', text: JSON.stringify(data) }];
  return isError ? { content, structuredContent: data, isError: true } : { content, structuredContent: data };
}

/**
 * What a turn that ended badly says, like the CLI's failure line but with the whole id:
 * `turn <id> failed: PROVIDER: <message>`. Undefined for a succeeded turn.
 */
export function turnFailure(turn: TurnView): string | undefined {
  if (turn.status === 'succeeded') return undefined;
  const reason = turn.errorCode ? `: ${turn.errorCode}: ${turn.errorMessage ?? ''}`.trimEnd() : '';
  return `turn ${turn.id} ${turn.status}${reason}`;
}

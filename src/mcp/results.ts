import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import type { Branch, Session, Turn } from '../model/index.js';
import { FULL_ID, headDoc, labelsOf, turnDoc as presentTurn, turnFailure as presentFailure } from '../present/index.js';
import { describeTurn } from '../format/logGraph.js';
import type { McpContext } from './context.js';
import { imageBlocks, imageUri } from './images.js';

/** A turn as the HTTP API shows it (the project's one presenter), each image addressed by its MCP resource. */
export function turnDoc(turn: Turn) {
  return presentTurn(turn, imageUri);
}

/** A session and its HEAD turn, the shape of the HTTP API's session answers. */
export function sessionWithHead(session: Session, head: Turn | null) {
  return headDoc(session, head, imageUri);
}

/** The log line of a turn (`id (HEAD -> main) prompt  · seed 7 · $0.04`), as `kontext log` prints it but with the whole id. */
export function turnLine(turn: Turn, session: Session, branches: readonly Branch[]): string {
  return describeTurn(turn, labelsOf(turn, session, branches), FULL_ID);
}

/**
 * The images of a turn: every candidate (`all`) or only the picked one, each as a preview and
 * a link to its original. A turn without outputs (failed, cancelled) has none.
 */
export async function turnImages(ctx: Pick<McpContext, 'engine' | 'previewPixels'>, turn: Turn, which: 'all' | 'picked' = 'all'): Promise<ContentBlock[]> {
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

/** What a turn that ended badly says, as the CLI does but with the whole id; undefined for a succeeded turn. */
export function turnFailure(turn: Turn): string | undefined {
  return presentFailure(turn, FULL_ID);
}

import { formatMicros } from '../../format/logGraph.js';
import { driftText, driftWarning, sizesText } from '../../quality/describe.js';
import type { CommandSpec } from '../action.js';
import { withoutImages } from '../../kontext/imageFields.js';
import { turnDoc } from '../../present/documents.js';
import { branchesByTurn, imageLine, short, timingsText } from '../../present/lines.js';

/** `kontext show <turn>`: everything recorded about one turn. */
export const showCommand: CommandSpec<{ turn: string }> = {
  name: 'show',
  parse: ([turn]) => ({ turn: turn! }),
  run: async (ctx, input) => {
    const { store } = ctx;
    const session = await ctx.session();
    const turn = await ctx.turn((await ctx.resolveTurn(session, input.turn)).id);
    const children = await store.children(turn.id);
    const branches = branchesByTurn(await store.listRefs(session.id)).get(turn.id) ?? [];
    const isHead = session.headTurnId === turn.id;
    const imageUrl = turn.params.image_url;
    const params = withoutImages(turn.params);
    const text = [
      `turn      ${turn.id}${isHead ? ' (HEAD)' : ''}${branches.length > 0 ? ` [${branches.join(', ')}]` : ''}`,
      `kind      ${turn.kind}`,
      `status    ${turn.status}`,
      `parent    ${turn.parentId ?? '- (root)'}`,
      `children  ${children.length > 0 ? children.map((c) => short(c.id)).join(', ') : '-'}`,
      `prompt    ${turn.prompt ?? '-'}`,
      `endpoint  ${turn.endpointId ?? '-'}${turn.provider ? ` (provider ${turn.provider})` : ''}`,
      `params    ${Object.keys(params).length > 0 ? JSON.stringify(params) : '-'}`,
      `input     ${inputText(turn.inputBlob ? ctx.address(turn.inputBlob) : undefined, imageUrl)}`,
      ...turn.referenceBlobs.map((hash, i) => `ref ${i + 1}     ${ctx.address(hash)}`),
      `seed      requested ${turn.seedRequested ?? 'random'}, used ${turn.seedUsed ?? '-'}`,
      `cost      ${formatMicros(turn.costMicros)}`,
      `timings   ${timingsText(turn.timings)}`,
      `created   ${turn.createdAt.toISOString()}`,
      `started   ${turn.startedAt?.toISOString() ?? '-'}`,
      `finished  ${turn.finishedAt?.toISOString() ?? '-'}`,
    ];
    if (turn.requestId) text.push(`request   ${turn.requestId}`);
    if (turn.originKind) text.push(`origin    ${turn.originKind} of ${turn.originTurnId ?? '?'}`);
    if (turn.errorCode) text.push(`error     ${turn.errorCode}: ${turn.errorMessage ?? ''}`);
    if (turn.sizes) text.push(`sizes     ${sizesText(turn.sizes)}`);
    if (turn.drift?.parent) text.push(`drift     vs parent: ${driftText(turn.drift.parent)}`);
    if (turn.drift?.root) text.push(`          vs root:   ${driftText(turn.drift.root)}`);
    const warning = driftWarning(turn.drift, session.quality);
    if (warning) text.push(`warning   ${warning}`);
    text.push(`images    ${turn.outputs.length === 0 ? '-' : ''}`.trimEnd());
    for (const o of turn.outputs) text.push(`  ${imageLine(o, turn, ctx.address)}`);
    return {
      data: {
        turn: turnDoc(turn, ctx.address),
        head: isHead,
        branches,
        children: children.map((c) => c.id),
        warning,
      },
      text,
    };
  },
};

/** The archived input image, and the URL it was sent as when that was a URL (data URIs are stored elided). */
function inputText(archived: string | undefined, sent: unknown): string {
  const url = typeof sent === 'string' && /^https?:/i.test(sent) ? sent : undefined;
  if (archived && url) return `${archived} (sent as ${url})`;
  return archived ?? url ?? '-';
}

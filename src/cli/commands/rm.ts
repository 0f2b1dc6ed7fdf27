import type { CommandSpec } from '../action.js';
import { short } from '../../present/lines.js';

/** `kontext rm <turn> [--branches]`: delete a turn and everything below it. */
export const rmCommand: CommandSpec<{ turn: string; branches: boolean }> = {
  name: 'rm',
  parse: ([turn], options) => ({ turn: turn!, branches: options.branches === true }),
  run: async (ctx, input) => {
    const engine = await ctx.engine();
    const session = await ctx.session();
    const turn = await ctx.resolveTurn(session, input.turn);
    const deletion = await engine.deleteSubtree(session.id, turn.id, { deleteBranches: input.branches });
    const text = [`deleted ${deletion.deletedTurnIds.length} turn(s) from ${short(turn.id)} down`];
    if (deletion.movedBranches.length > 0) text.push(`moved branch(es) ${deletion.movedBranches.join(', ')} to ${short(deletion.parentId)}`);
    if (deletion.deletedBranches.length > 0) text.push(`deleted branch(es) ${deletion.deletedBranches.join(', ')}`);
    if (deletion.headMovedTo !== undefined) text.push(`HEAD is now at ${short(deletion.headMovedTo)}`);
    return { data: { deleted: deletion }, text };
  },
};

import type { CommandSpec } from '../action.js';
import { headMoved } from './checkout.js';

/** `kontext undo`: HEAD to its parent, remembered for redo. */
export const undoCommand: CommandSpec<null> = {
  name: 'undo',
  parse: () => null,
  run: async (ctx) => headMoved(ctx, await (await ctx.engine()).undo(await ctx.sessionId())),
};

import type { CommandSpec } from '../action.js';
import { headMoved } from './checkout.js';

/** `kontext redo`: HEAD back to the turn the last undo left. */
export const redoCommand: CommandSpec<null> = {
  name: 'redo',
  parse: () => null,
  run: async (ctx) => headMoved(ctx, await (await ctx.engine()).redo(await ctx.sessionId())),
};

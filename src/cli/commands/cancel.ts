import type { CommandSpec } from '../action.js';
import { turnDoc } from '../../present/documents.js';
import { short } from '../../present/lines.js';

/** `kontext cancel <turn>`: stops a turn in flight, on the provider too. */
export const cancelCommand: CommandSpec<{ turn: string }> = {
  name: 'cancel',
  parse: ([turn]) => ({ turn: turn! }),
  // Resuming first would wait for the very turn the user wants to stop.
  resume: 'after',
  run: async (ctx, input) => {
    const turn = await ctx.resolveTurn(await ctx.session(), input.turn);
    const cancelled = await (await ctx.engine()).cancel(turn.id);
    return { data: { turn: turnDoc(cancelled, ctx.address) }, text: [`turn ${short(cancelled.id)} ${cancelled.status}`] };
  },
};

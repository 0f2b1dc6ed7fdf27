import type { CommandSpec } from '../action.js';
import { turnDoc } from '../../present/documents.js';
import { turnLines } from '../../present/lines.js';
import { wholeNumber } from '../wholeNumber.js';

/** `kontext pick <turn> <candidate>`: which output the next edit from that turn continues from. */
export const pickCommand: CommandSpec<{ turn: string; candidate: number }> = {
  name: 'pick',
  parse: ([turn, candidate]) => ({ turn: turn!, candidate: wholeNumber(candidate!, 'candidate') }),
  run: async (ctx, input) => {
    const engine = await ctx.engine();
    const turn = await ctx.resolveTurn(await ctx.session(), input.turn);
    const picked = await engine.pick(turn.id, input.candidate);
    return { data: { turn: turnDoc(picked, ctx.address) }, text: turnLines(picked, ctx.address) };
  },
};

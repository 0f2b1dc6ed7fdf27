import type { CommandSpec } from '../action.js';
import { turnDoc } from '../../present/documents.js';
import { turnLines } from '../../present/lines.js';

/** `kontext pin <turn>` / `kontext unpin <turn>`: mark a turn as a favourite, or not. */
function pinSpec(name: 'pin' | 'unpin'): CommandSpec<{ turn: string }> {
  return {
    name,
    parse: ([turn]) => ({ turn: turn! }),
    run: async (ctx, input) => {
      const engine = await ctx.engine();
      const turn = await ctx.resolveTurn(await ctx.session(), input.turn);
      const changed = name === 'pin' ? await engine.pin(turn.id) : await engine.unpin(turn.id);
      return { data: { turn: turnDoc(changed, ctx.address) }, text: turnLines(changed, ctx.address) };
    },
  };
}

export const pinCommand = pinSpec('pin');
export const unpinCommand = pinSpec('unpin');

/** `kontext pins`: the current session's pinned turns, in the order they were pinned. */
export const pinsCommand: CommandSpec<null> = {
  name: 'pins',
  parse: () => null,
  run: async (ctx) => {
    const engine = await ctx.engine();
    const session = await ctx.session();
    const pins = await engine.pins(session.id);
    const text = pins.length === 0 ? ["no pinned turns; pin one with 'kontext pin <turn>'"] : pins.flatMap((t) => turnLines(t, ctx.address));
    return { data: { sessionId: session.id, turns: pins.map((t) => turnDoc(t, ctx.address)) }, text };
  },
};

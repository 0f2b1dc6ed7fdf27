import type { CommandSpec } from '../action.js';
import { sessionDoc, turnDoc } from '../../present/documents.js';
import { headLine, short } from '../../present/lines.js';

interface ForkInput {
  turn: string;
  whole: boolean;
  title: string | undefined;
}

/** `kontext fork <turn> [--whole] [--title <text>]`: a copy of the path (or tree) as a new session, made current. */
export const forkCommand: CommandSpec<ForkInput> = {
  name: 'fork',
  parse: ([turn], options) => ({ turn: turn!, whole: options.whole === true, title: typeof options.title === 'string' ? options.title : undefined }),
  run: async (ctx, input) => {
    const engine = await ctx.engine();
    const source = await ctx.session();
    const turn = await ctx.resolveTurn(source, input.turn);
    const { session, turnIds, skipped } = await engine.fork(turn.id, { whole: input.whole, title: input.title });
    ctx.current.set(session.id);
    const head = await engine.getTurn(session.headTurnId!);
    const text = [`forked ${Object.keys(turnIds).length} turn(s) of session ${short(source.id)} into session ${session.id}${session.title ? ` "${session.title}"` : ''}`];
    if (skipped.length > 0) text.push(`left out ${skipped.length} turn(s) still running: ${skipped.map((id) => short(id)).join(', ')}`);
    text.push(headLine(session, head), `now using session ${short(session.id)} (kontext use ${short(source.id)} to go back)`);
    return { data: { session: sessionDoc(session), head: turnDoc(head, ctx.address), turnIds, skipped, current: session.id }, text };
  },
};

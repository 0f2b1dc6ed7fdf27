import type { CommandSpec } from '../action.js';
import { sessionDoc } from '../../present/documents.js';

/** `kontext use <session>`: remembers the session later commands act on. */
export const useCommand: CommandSpec<{ session: string }> = {
  name: 'use',
  parse: ([session]) => ({ session: session! }),
  run: async (ctx, input) => {
    const session = await ctx.findSession(input.session);
    ctx.current.set(session.id);
    return { data: { current: session.id, session: sessionDoc(session) }, text: [`now using session ${session.id}${session.title ? ` "${session.title}"` : ''}`] };
  },
};

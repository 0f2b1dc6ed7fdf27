import type { CommandSpec } from '../action.js';
import { sessionDoc } from '../../present/documents.js';
import { short } from '../../present/lines.js';

/** `kontext sessions`: every session of the database, newest first, the current one marked. */
export const sessionsCommand: CommandSpec<null> = {
  name: 'sessions',
  parse: () => null,
  run: async (ctx) => {
    const sessions = await ctx.store.listSessions();
    const current = ctx.globals.session ?? ctx.current.get();
    const text = sessions.map(
      (s) => `${s.id === current ? '*' : ' '} ${s.id}  ${s.updatedAt.toISOString().slice(0, 16).replace('T', ' ')}  HEAD ${short(s.headTurnId)}  ${s.title}`.trimEnd(),
    );
    if (text.length === 0) text.push("no sessions yet; start one with 'kontext new <image>'");
    return { data: { current: current ?? null, sessions: sessions.map(sessionDoc) }, text };
  },
};

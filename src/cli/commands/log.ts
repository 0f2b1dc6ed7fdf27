import { logGraphBytes, type LogTurn } from '../../format/logGraph.js';
import type { CommandSpec } from '../action.js';
import { sessionDoc } from '../../present/documents.js';
import { branchesByTurn } from '../../present/lines.js';

interface LogInput {
  graph: boolean;
  all: boolean;
}

/** `kontext log [--graph] [--all]`: the path root → HEAD, or the whole tree, newest first. */
export const logCommand: CommandSpec<LogInput> = {
  name: 'log',
  parse: (_args, options) => ({ graph: options.graph === true, all: options.all === true }),
  run: async (ctx, input) => {
    const { store } = ctx;
    const session = await ctx.session();
    const refs = await store.listRefs(session.id);
    // The few columns a line shows, no outputs, read as they are printed (so last): a
    // 10,000-turn tree should print in a blink.
    let turns: Iterable<LogTurn>;
    if (input.all) turns = await store.turnSummaries(session.id);
    else turns = session.headTurnId ? await store.pathSummaries(session.headTurnId) : [];
    // Only the form that is printed is built: thousands of turns as JSON objects or as text,
    // the text as the bytes to print.
    if (!ctx.output.json) return { data: null, text: logGraphBytes(session, turns, refs, { headOnly: !input.all, graph: input.graph }) };
    const labels = branchesByTurn(refs);
    return {
      data: {
        session: sessionDoc(session),
        all: input.all,
        turns: Array.from(turns, (t) => ({
          id: t.id,
          parentId: t.parentId,
          kind: t.kind,
          status: t.status,
          prompt: t.prompt,
          seedUsed: t.seedUsed,
          costMicros: t.costMicros,
          origin: t.originKind,
          drift: t.drift,
          pinned: t.pinnedAt !== null,
          branches: labels.get(t.id) ?? [],
          head: t.id === session.headTurnId,
        })),
        branches: refs.map((r) => ({ name: r.name, turnId: r.turnId, attached: session.headRef === r.name })),
      },
      text: [],
    };
  },
};

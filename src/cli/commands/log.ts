import { logGraph, type LogTurn } from '../../format/logGraph.js';
import type { CommandSpec } from '../action.js';
import { refsByTurn, sessionJson } from '../views.js';

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
    // The few columns a line shows, no outputs: a 10,000-turn tree should print in a blink.
    let turns: readonly LogTurn[];
    if (input.all) turns = await store.listTurnSummaries(session.id);
    else turns = session.headTurnId ? await store.pathSummaries(session.headTurnId) : [];
    const refs = await store.listRefs(session.id);
    // Only the form that is printed is built: thousands of turns as JSON objects or as lines.
    if (!ctx.output.json) return { data: null, text: logGraph(session, turns, refs, { headOnly: !input.all, graph: input.graph }) };
    const labels = refsByTurn(refs);
    return {
      data: {
        session: sessionJson(session),
        all: input.all,
        turns: turns.map((t) => ({
          id: t.id,
          parentId: t.parentId,
          kind: t.kind,
          status: t.status,
          prompt: t.prompt,
          seedUsed: t.seedUsed,
          costMicros: t.costMicros,
          origin: t.originKind,
          branches: labels.get(t.id) ?? [],
          head: t.id === session.headTurnId,
        })),
        branches: refs.map((r) => ({ name: r.name, turnId: r.turnId, attached: session.headRef === r.name })),
      },
      text: [],
    };
  },
};

import type { Command } from 'commander';
import { logGraph } from '../../format/logGraph.js';
import type { TurnRow } from '../../store/schema.js';
import { commandAction, type CliRuntime } from '../action.js';
import { refsByTurn, sessionJson } from '../views.js';

interface LogInput {
  graph: boolean;
  all: boolean;
}

/** `kontext log [--graph] [--all]`: the path root → HEAD, or the whole tree, newest first. */
export function registerLog(program: Command, runtime: CliRuntime): void {
  program
    .command('log')
    .description('list the turns from the root to HEAD (or the whole tree with --all), newest first')
    .option('--graph', 'draw the tree like git log --graph: * a turn, | a branch, |/ where it forks (default: off)')
    .option('--all', 'every turn of the session, not only the path to HEAD (default: off)')
    .action(
      commandAction<LogInput>(runtime, {
        name: 'log',
        parse: (_args, options) => ({ graph: options.graph === true, all: options.all === true }),
        run: async (ctx, input) => {
          const { store } = ctx;
          const session = await ctx.session();
          // Plain rows, no outputs: a 10,000-turn tree should print in a blink.
          let turns: TurnRow[];
          if (input.all) turns = await store.listTurns(session.id);
          else turns = session.headTurnId ? await store.path(session.headTurnId) : [];
          const refs = await store.listRefs(session.id);
          const labels = refsByTurn(refs);
          const lines = logGraph(session, turns, refs, { headOnly: !input.all, graph: input.graph });
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
            text: lines,
          };
        },
      }),
    );
}

import type { Command } from 'commander';
import { commandAction, type CliRuntime } from '../action.js';
import { wholeNumber } from '../params.js';
import { turnJson, turnLines } from '../views.js';

/** `kontext pick <turn> <candidate>`: which output the next edit from that turn continues from. */
export function registerPick(program: Command, runtime: CliRuntime): void {
  program
    .command('pick')
    .description('choose which output (candidate) of a turn the next edit from it continues from')
    .argument('<turn>', 'turn id or unique prefix, branch name, HEAD, HEAD~N')
    .argument('<candidate>', 'index of the output, 0 to num_images - 1')
    .action(
      commandAction<{ turn: string; candidate: number }>(runtime, {
        name: 'pick',
        parse: ([turn, candidate]) => ({ turn: turn!, candidate: wholeNumber(candidate!, 'candidate') }),
        run: async (ctx, input) => {
          const engine = await ctx.engine();
          const turn = await ctx.resolveTurn(await ctx.session(), input.turn);
          const picked = await engine.pick(turn.id, input.candidate);
          return { data: { turn: turnJson(picked, engine.blobs) }, text: turnLines(picked, engine.blobs) };
        },
      }),
    );
}

import type { Command } from 'commander';
import { commandAction, type CliRuntime } from '../action.js';
import { short, turnJson } from '../views.js';

/** `kontext cancel <turn>`: stops a turn in flight, on the provider too. */
export function registerCancel(program: Command, runtime: CliRuntime): void {
  program
    .command('cancel')
    .description('cancel a turn in flight (also on the provider, by its request id)')
    .argument('<turn>', 'turn id or unique prefix (at least 4 characters)')
    .action(
      commandAction<{ turn: string }>(runtime, {
        name: 'cancel',
        parse: ([turn]) => ({ turn: turn! }),
        // Resuming first would wait for the very turn the user wants to stop.
        resume: 'after',
        run: async (ctx, input) => {
          const turn = await ctx.resolveTurn(await ctx.session(), input.turn);
          const cancelled = await (await ctx.engine()).cancel(turn.id);
          return { data: { turn: turnJson(cancelled, ctx.blobs) }, text: [`turn ${short(cancelled.id)} ${cancelled.status}`] };
        },
      }),
    );
}

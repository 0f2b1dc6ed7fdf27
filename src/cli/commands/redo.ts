import type { Command } from 'commander';
import { commandAction, type CliRuntime } from '../action.js';
import { headMoved } from './checkout.js';

/** `kontext redo`: HEAD back to the turn the last undo left. */
export function registerRedo(program: Command, runtime: CliRuntime): void {
  program
    .command('redo')
    .description('move HEAD back to the turn the last undo left')
    .action(
      commandAction<null>(runtime, {
        name: 'redo',
        parse: () => null,
        run: async (ctx) => headMoved(ctx, await (await ctx.engine()).redo(await ctx.sessionId())),
      }),
    );
}

import type { Command } from 'commander';
import { commandAction, type CliRuntime } from '../action.js';
import { headMoved } from './checkout.js';

/** `kontext undo`: HEAD to its parent, remembered for redo. */
export function registerUndo(program: Command, runtime: CliRuntime): void {
  program
    .command('undo')
    .description("move HEAD to its parent turn ('kontext redo' goes back down)")
    .action(
      commandAction<null>(runtime, {
        name: 'undo',
        parse: () => null,
        run: async (ctx) => headMoved(ctx, await (await ctx.engine()).undo(await ctx.sessionId())),
      }),
    );
}

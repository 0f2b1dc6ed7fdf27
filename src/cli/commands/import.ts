import type { Command } from 'commander';
import { commandAction, type CliRuntime } from '../action.js';
import { short } from '../views.js';

/** `kontext import <file>`: a bundle's session into this database (images verified), made current. */
export function registerImport(program: Command, runtime: CliRuntime): void {
  program
    .command('import')
    .description('import a bundle written by kontext export (every image hash is verified) and make its session current; importing twice is a no-op')
    .argument('<file>', 'bundle file to read')
    .action(
      commandAction<{ file: string }>(runtime, {
        name: 'import',
        parse: ([file]) => ({ file: file! }),
        run: async (ctx, input) => {
          const result = await (await ctx.engine()).importBundle(input.file);
          ctx.current.set(result.sessionId);
          return {
            data: { ...result, current: result.sessionId },
            text: [
              result.alreadyPresent
                ? `session ${result.sessionId} was already here; nothing imported`
                : `imported session ${result.sessionId}: ${result.turns} turn(s), ${result.blobs} image(s)`,
              `now using session ${short(result.sessionId)}`,
            ],
          };
        },
      }),
    );
}

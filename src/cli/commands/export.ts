import type { Command } from 'commander';
import { commandAction, type CliRuntime } from '../action.js';

/** `kontext export <file>`: the session — tree, params, seeds, branches and images — as one bundle. */
export function registerExport(program: Command, runtime: CliRuntime): void {
  program
    .command('export')
    .description('write the session (turns, params, seeds, branches, provenance and every image) to one bundle file (.tgz)')
    .argument('<file>', 'bundle to write, e.g. kitchen.kontext.tgz (replaced if it exists)')
    .action(
      commandAction<{ file: string }>(runtime, {
        name: 'export',
        parse: ([file]) => ({ file: file! }),
        run: async (ctx, input) => {
          const sessionId = await ctx.sessionId();
          const result = await (await ctx.engine()).exportSession(sessionId, input.file);
          return {
            data: { session: sessionId, ...result },
            text: [`exported session ${sessionId}: ${result.turns} turn(s), ${result.blobs} image(s), ${result.bytes} bytes → ${result.file}`],
          };
        },
      }),
    );
}

import type { CommandSpec } from '../action.js';

/** `kontext export <file>`: the session — tree, params, seeds, branches and images — as one bundle. */
export const exportCommand: CommandSpec<{ file: string }> = {
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
};

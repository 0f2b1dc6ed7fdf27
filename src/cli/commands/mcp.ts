import type { CommandSpec } from '../action.js';

/**
 * `kontext mcp`: this database as an MCP server on stdin/stdout, for an agent chat to start,
 * edit, branch, undo and replay sessions with (src/mcp/). Runs until the client closes stdin
 * or a signal comes. stdout carries the protocol and nothing else: the provider notice, what
 * resume did and progress lines go to stderr, which MCP leaves to servers for logs.
 */
export const mcpCommand: CommandSpec<null> = {
  name: 'mcp',
  ownsSignals: true,
  liveUpdates: true,
  // Resumed in the background once serving, as `serve` does: a client must not wait for old turns to start.
  resume: 'none',
  parse: () => null,
  run: async (ctx) => {
    // Loaded only here: the MCP SDK is not needed by any other command.
    const [{ serveMcpStdio }, { keyRedactor }] = await Promise.all([import('../../mcp/stdio.js'), import('../../providers/fal/redact.js')]);
    const server = await serveMcpStdio({
      // Lent: ctx.close() (action.ts) closes it and the database once the server has stopped.
      engine: await ctx.providerEngine(),
      redact: keyRedactor(ctx.env.FAL_KEY?.trim() || undefined),
      log: (line) => ctx.output.note(`kontext mcp: ${line}`),
    });
    void ctx.resumeInFlight().then(
      (report) => ctx.reportResume(report),
      (error: unknown) => ctx.output.note(`kontext mcp: resuming turns failed: ${(error as Error).message}`),
    );
    const onSignal = () => void server.close();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await server.closed;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    // Turns still running stay in the store with their request ids, for the next command to collect.
    return { data: undefined, text: [] };
  },
};

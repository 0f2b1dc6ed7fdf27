import type { CommandSpec } from '../action.js';
import { wholeNumber } from '../wholeNumber.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './index.js';

/** `kontext serve [--port] [--host]`: the REST + SSE server over this database, until SIGINT/SIGTERM. */
export const serveCommand: CommandSpec<{ port: number; host: string }> = {
  name: 'serve',
  ownsSignals: true,
  liveUpdates: true,
  // Resumed in the background once listening: a server must not wait for old turns to start.
  resume: 'none',
  parse: (_args, options) => ({
    port: options.port === undefined ? DEFAULT_PORT : wholeNumber(options.port as string, '--port', 65_535),
    host: (options.host as string | undefined) ?? DEFAULT_HOST,
  }),
  run: async (ctx, options) => {
    // Loaded only here: the server (hono, its routes) is not needed by any other command.
    const { serve } = await import('../../server/index.js');
    const running = await serve({
      // Lent, not given: serve leaves it open, and ctx.close() (action.ts) closes it and the
      // database once the server has stopped.
      engine: await ctx.providerEngine(),
      port: options.port,
      host: options.host,
      env: ctx.env,
      log: (line) => ctx.output.note(`kontext serve: ${line}`),
      resume: false,
    });
    void ctx.resumeInFlight().then(
      (report) => ctx.reportResume(report),
      (error: unknown) => ctx.output.note(`kontext serve: resuming turns failed: ${(error as Error).message}`),
    );
    ctx.output.result({ data: { url: running.url, pid: process.pid }, text: [`listening on ${running.url} (Ctrl-C stops)`] }, 'serve');
    await new Promise<void>((resolve) => {
      let stopping = false;
      const onSignal = () => {
        // A second signal does not wait for running turns: they stay resumable anyway.
        if (stopping) process.exit(130);
        stopping = true;
        ctx.output.note('kontext serve: shutting down (again to force)');
        void running.close().finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    return { data: undefined, text: [] };
  },
};

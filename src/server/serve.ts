import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { SessionEngine } from '../engine/SessionEngine.js';
import { openEngine, type OpenEngineOptions } from '../engine/openEngine.js';
import { ValidationError } from '../errors/ValidationError.js';
import { createServer, type CreateServerOptions, type KontextServer } from './createServer.js';
import { isLoopbackHostname } from './loopbackGuard.js';
import { parseTokens, TokenTable } from './tokens.js';

/** Where and how {@link serve} listens, plus everything {@link createServer} takes. */
export interface ServeListenOptions extends CreateServerOptions {
  /** Port; 0 picks a free one (see `RunningServer.port`). Default 8787. */
  port?: number;
  /**
   * Interface to listen on. Default `127.0.0.1`. Anything but a loopback address needs tokens
   * (`tokens` or `KONTEXT_TOKENS`): without them `serve` refuses to start.
   */
  host?: string;
  /** How long shutdown waits for running turns and open requests before leaving them. Default 10 000 ms. */
  shutdownGraceMs?: number;
  /** Resume turns an earlier process left in flight, by their request ids, once listening. Default true. */
  resume?: boolean;
  /** Shut down gracefully on SIGINT/SIGTERM (a second signal exits at once). Default false; the CLI sets it. */
  handleSignals?: boolean;
}

/**
 * Options of {@link serve}. The engine comes one of two ways, and whoever opened it closes it:
 * - `engine`: yours. `running.close()` leaves it open; close it (and its database) yourself
 *   afterwards, e.g. with `opened.close()` from openEngine.
 * - `open`: options for {@link openEngine}; `serve` opens the engine and closes it, database and
 *   providers included, as the last step of `running.close()`.
 */
export type ServeOptions = ServeListenOptions & ({ engine: SessionEngine; open?: undefined } | { open: OpenEngineOptions; engine?: undefined });

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  host: string;
  port: number;
  server: KontextServer;
  /** The engine being served: the one given, or the one `serve` opened from `open`. */
  engine: SessionEngine;
  /**
   * Graceful shutdown: stop accepting connections, end event streams (clients resume with
   * Last-Event-ID elsewhere), wait up to the grace for running turns and requests, then close
   * the engine if `serve` opened it (a given engine stays open). Turns still running are left
   * as they are in the store — submitted ones with their request id — and resume on the next
   * start; nothing is cancelled or half-written. Idempotent.
   */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';

/**
 * Listens with @hono/node-server. This is what `kontext serve [--port] [--host]` calls.
 *
 * @example
 * const running = await serve({ open: { dataDir: '.kontext' }, port: 8787, handleSignals: true });
 * console.error(`listening on ${running.url}`);
 *
 * @example
 * const opened = openEngine({ dataDir: '.kontext' });
 * const running = await serve({ engine: opened.engine, port: 0 });
 * // … later: the server first, then the engine it was lent.
 * await running.close();
 * await opened.close();
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ValidationError([{ field: 'port', message: `${port} is not a port; allowed: 0 to 65535` }]);
  const tokens = options.tokens instanceof TokenTable ? options.tokens : parseTokens(options.tokens ?? (options.env ?? process.env).KONTEXT_TOKENS);
  if (!tokens && !isLoopbackHostname(host)) {
    throw new ValidationError([
      {
        field: 'host',
        message: `refusing to listen on ${host} without tokens: anyone who can reach it could read every session and spend your credit. Set KONTEXT_TOKENS="owner:token,…" (tokens of 16+ characters), or listen on 127.0.0.1`,
      },
    ]);
  }
  const log = options.log ?? ((line: string) => console.error(`kontext serve: ${line}`));
  // Opened only after every check above, so a refused start leaves no database open.
  const { engine, closeOwned } = engineOf(options);
  const kontext = createServer(engine, { ...options, tokens, log });
  const http = createAdaptorServer({ fetch: kontext.app.fetch, hostname: host, port }) as Server;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      http.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new ValidationError([{ field: 'port', message: `${host}:${port} is already in use; choose another --port` }]) : error);
    };
    const onListening = () => {
      http.off('error', onError);
      resolve();
    };
    http.once('error', onError);
    http.once('listening', onListening);
    http.listen(port, host);
  }).catch(async (error: unknown) => {
    await closeOwned();
    throw error;
  });
  const address = http.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  http.on('error', (error) => log(`http server: ${error.message}`));

  if (options.resume ?? true) kontext.runInBackground('resuming turns left in flight', () => engine.resume());

  const grace = options.shutdownGraceMs ?? 10_000;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      kontext.beginShutdown();
      if (!(await kontext.settleTurns(grace))) log('turns still running at shutdown are left in flight; they resume on the next start');
      http.closeIdleConnections();
      const timer = setTimeout(() => http.closeAllConnections(), grace);
      timer.unref();
      await stopped;
      clearTimeout(timer);
      removeSignals();
      await closeOwned();
    })());

  let removeSignals = () => {};
  if (options.handleSignals) {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) process.exit(130);
      signalled = true;
      log(`${signal}: shutting down (again to force)`);
      close().catch((error: unknown) => {
        log(`shutdown failed: ${(error as Error).message}`);
        process.exitCode = 1;
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    removeSignals = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }

  return { url, host: address.address, port: address.port, server: kontext, engine, close };
}

/** The engine to serve, and how to close what `serve` itself opened (nothing, for a given engine). */
function engineOf(options: ServeOptions): { engine: SessionEngine; closeOwned: () => Promise<void> } {
  if ((options.engine === undefined) === (options.open === undefined)) {
    throw new ValidationError([{ field: 'engine', message: 'give exactly one of `engine` (yours to close) or `open` (options for openEngine; serve closes it)' }]);
  }
  if (options.engine) return { engine: options.engine, closeOwned: async () => undefined };
  const opened = openEngine({ env: options.env, ...options.open });
  return { engine: opened.engine, closeOwned: opened.close };
}

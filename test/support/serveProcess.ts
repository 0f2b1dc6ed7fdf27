import { CLI, cliEnv, requireBuiltCli } from '../cli/support/cli.js';
import { spawnLineChild, type LineChild } from './lineChild.js';

/** A `kontext serve` process of the built CLI, listening on a loopback port of its own. */
export interface ServeProcess {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  child: LineChild;
  /** SIGTERM, then waits: resolves with the exit status (0 for a clean shutdown). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `kontext serve --port 0 --json` on the database file `db` (given as `KONTEXT_DB`,
 * images in its folder), with the local provider and no tokens, and waits until it listens.
 * Port 0: the system picks a free port, which the server prints.
 *
 * @example
 * const server = await startServe({ db: join(dir, 'kontext.db'), cwd: dir });
 * await fetch(`${server.url}/health`);
 */
export async function startServe(options: { db: string; cwd: string }): Promise<ServeProcess> {
  requireBuiltCli();
  const child = spawnLineChild([CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--json'], { cwd: options.cwd, env: cliEnv({ KONTEXT_DB: options.db }) });
  try {
    const [, url] = await child.line(/"url": "(http:\/\/127\.0\.0\.1:\d+)"/);
    return {
      url: url!,
      child,
      async stop() {
        child.process.kill('SIGTERM');
        return child.exited;
      },
    };
  } catch (error) {
    await child.kill();
    throw error;
  }
}

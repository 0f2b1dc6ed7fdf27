import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileBlobStore } from '../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../src/engine/SessionEngine.js';
import { LOCAL_KONTEXT_SIM } from '../src/kontext/endpoints.js';
import { createLocalProvider } from '../src/providers/local/index.js';
import { packageRoot } from '../src/store/packageRoot.js';
import { SessionStore } from '../src/store/SessionStore.js';
import { CLI as CLI_MAIN, cliEnv } from '../test/cli/support/cli.js';
import { atMost, context, notMeasured, type BenchResult } from './lib/BenchResult.js';
import { buildDeepSession } from './lib/deepSession.js';
import { withoutMachineStartupCosts } from './lib/nodeStartupEnv.js';
import { median, ms } from './lib/stats.js';
import { tempDir } from './lib/tempDir.js';

/**
 * A 10,000-turn session: the path query root → tip (one recursive SQL query, rows mapped to
 * turns; with and without outputs), and `kontext log --graph --all` on it, timed as a whole
 * process (start-up included, as the user waits for it).
 */
export async function benchDeepSession(options: { depth?: number; repeats?: number; cliRuns?: number } = {}): Promise<BenchResult[]> {
  const depth = options.depth ?? 10_000;
  const repeats = options.repeats ?? 5;
  const cliRuns = options.cliRuns ?? 11;
  const dir = tempDir('deep');
  const dbFile = join(dir.path, 'kontext.db');
  const blobDir = join(dir.path, 'blobs');
  try {
    const built = performance.now();
    const { sessionId, tipId } = await buildDeepSession(dbFile, blobDir, depth);
    const buildMs = performance.now() - built;

    const store = SessionStore.open(dbFile);
    const engine = new SessionEngine({ store, blobs: new FileBlobStore(blobDir), providers: [createLocalProvider()], defaultEndpoint: LOCAL_KONTEXT_SIM });
    const ids: number[] = [];
    const rows: number[] = [];
    const views: number[] = [];
    const walks: number[] = [];
    // For comparison, the classic walk: one recursive step per ancestor (what store.path did before segments).
    const walk = store.sqlite.prepare(
      'with recursive up(id, parent_id) as (select id, parent_id from turns where id = ? union all select t.id, t.parent_id from turns t join up on t.id = up.parent_id) select id from up',
    );
    try {
      // Each query in a loop of its own, so one's garbage is not collected in another's timing;
      // the first run of each warms SQLite's page cache and the JIT and is not counted.
      const timed = async (into: number[], query: () => Promise<unknown> | unknown) => {
        for (let i = 0; i < repeats + 1; i++) {
          const started = performance.now();
          await query();
          if (i > 0) into.push(performance.now() - started);
        }
      };
      const pathIds = await store.pathIds(tipId);
      const path = await store.path(tipId);
      const withOutputs = await engine.path(tipId);
      if (pathIds.length !== depth + 1 || path.length !== depth + 1 || withOutputs.length !== depth + 1) throw new Error(`path has ${pathIds.length} turns, expected ${depth + 1}`);
      if (pathIds[depth] !== tipId || path[0]!.id !== pathIds[0]) throw new Error('the path is out of order');
      await timed(ids, () => store.pathIds(tipId));
      await timed(rows, () => store.path(tipId));
      await timed(views, () => engine.path(tipId));
      await timed(walks, () => walk.all(tipId));
    } finally {
      await engine.close();
      store.close();
    }
    const results: BenchResult[] = [
      atMost(
        {
          id: 'deep-session.path-query',
          name: `Path query at depth ${depth.toLocaleString('en')} (store.pathIds: root → tip, in order)`,
          unit: 'ms',
          measured: median(ids),
          shown: `${ms(median(ids))} (median)`,
          note: `${repeats} queries after one warm-up; the one-step-per-ancestor recursive walk it replaced: ${ms(median(walks))}; session built in ${ms(buildMs)}`,
        },
        5,
        { strict: true },
      ),
      context({
        id: 'deep-session.path-rows',
        name: `Path at depth ${depth.toLocaleString('en')} as whole turn rows (store.path)`,
        unit: 'ms',
        measured: median(rows),
        shown: `${ms(median(rows))} (median)`,
        note: `every column of ${(depth + 1).toLocaleString('en')} turns decoded; with outputs (engine.path): ${ms(median(views))}`,
      }),
    ];

    const name = `kontext log --graph --all on a ${depth.toLocaleString('en')}-turn session`;
    if (!existsSync(CLI_MAIN)) {
      results.push(notMeasured('deep-session.log-graph', name, 'ms', '< 300 ms', 'n/a (CLI not built)'));
      return results;
    }
    const cli = timeCli(dbFile, sessionId, cliRuns);
    results.push(
      atMost(
        { id: 'deep-session.log-graph', name, unit: 'ms', measured: median(cli.times), shown: `${ms(median(cli.times))} (median)`, note: cli.note },
        300,
        { strict: true },
      ),
    );
    if (cli.machineVariables.length > 0) {
      results.push(
        context({
          id: 'deep-session.log-graph-machine-env',
          name: `… the same, with this machine's ${cli.machineVariables.join(', ')}`,
          unit: 'ms',
          measured: median(cli.withMachineEnv),
          shown: `${ms(median(cli.withMachineEnv))} (median)`,
          note: `${cli.withMachineEnv.length} runs alternating with the ones above; it delays every Node start here, whatever runs: 'node -e 0' takes ${ms(median(cli.bareWithMachineEnv))} with it (see bench/lib/nodeStartupEnv.ts)`,
        }),
      );
    }
    return results;
  } finally {
    dir.remove();
  }
}

/**
 * `kontext log --graph --all` run `runs` times as new processes, timed whole (start-up
 * included, as the user waits for it), in the environment a user's shell gives it: this
 * process's, without the machine-wide variables that delay every Node start
 * (lib/nodeStartupEnv.ts). When this machine sets one, the same command with it is timed in
 * alternation, and a bare `node -e 0` both ways.
 */
function timeCli(dbFile: string, sessionId: string, runs: number) {
  // The tests' CLI environment (nothing that reaches fal or another database), as the user's shell.
  const machineEnv = cliEnv({ NO_COLOR: '1' });
  const { env, removed: machineVariables } = withoutMachineStartupCosts(machineEnv);
  const alsoWithMachineEnv = machineVariables.length > 0;
  const timed = (args: string[], withEnv: NodeJS.ProcessEnv): { ms: number; run: SpawnSyncReturns<string> } => {
    const started = performance.now();
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: withEnv });
    const ms = performance.now() - started;
    if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr.trim().split('\n')[0]}`);
    return { ms, run };
  };
  const log = [CLI_MAIN, '--db', dbFile, '--session', sessionId, 'log', '--graph', '--all'];
  const times: number[] = [];
  const withMachineEnv: number[] = [];
  const help: number[] = [];
  const bare: number[] = [];
  const bareWithMachineEnv: number[] = [];
  let lines = 0;
  for (let i = 0; i < runs; i++) {
    const clean = timed(log, env);
    times.push(clean.ms);
    lines = clean.run.stdout.trimEnd().split('\n').length;
    if (alsoWithMachineEnv) withMachineEnv.push(timed(log, machineEnv).ms);
  }
  for (let i = 0; i < 5; i++) {
    help.push(timed([CLI_MAIN, '--help'], env).ms);
    bare.push(timed(['-e', '0'], env).ms);
    if (alsoWithMachineEnv) bareWithMachineEnv.push(timed(['-e', '0'], machineEnv).ms);
  }
  const without = alsoWithMachineEnv ? `, without ${machineVariables.join(', ')}` : '';
  const note = `${runs} runs of node ${CLI_MAIN.slice(packageRoot().length + 1)}${without} (process start-up included: 'kontext --help' alone takes ${ms(median(help))}, 'node -e 0' ${ms(median(bare))}), ${lines} lines printed; min ${ms(Math.min(...times))}`;
  return { times, note, machineVariables, withMachineEnv, bareWithMachineEnv };
}

/**
 * `npm run bench`: every benchmark of kontext-sessions, one after another, printed as one
 * table and written to bench/results.json. Everything runs on this machine: the fal side is
 * the loopback fal-compatible test server (no packet leaves 127.0.0.1), unless a line says
 * otherwise. Benchmarks print; they never fail the build.
 *
 *   npx tsx bench/run.ts [--only id,id] [--quick]
 *
 * `--quick` shrinks the samples (for a smoke test); `--only` runs the named benchmarks:
 * engine-overhead, engine-vs-fal-client, fal-client, exact-replay, deep-session,
 * concurrent-sessions, local-edit, quality. The concurrent-sessions load is sized by
 * KONTEXT_BENCH_SESSIONS (default 1000), KONTEXT_BENCH_MAX_IN_FLIGHT (the engine's
 * maxInFlight, default 1000: every session has its request at the provider at once, the
 * heaviest case for memory, since each such turn holds its HTTP exchange and status stream;
 * the engine's own default is 8, and with 64 or 8 the peak RSS measured 20-40 MiB lower) and
 * KONTEXT_BENCH_CONNECTIONS (sockets of the fal client, default 128, as a server would bound
 * its pool; 0 = undici's unbounded default).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchConcurrentSessions } from './concurrentSessions.js';
import { benchDeepSession } from './deepSession.js';
import { benchEngineOverhead } from './engineOverhead.js';
import { benchEngineVsFalClient } from './engineVsFalClient.js';
import { benchExactReplay } from './exactReplay.js';
import { benchFalClientComparison } from './falClientComparison.js';
import { notMeasured, type BenchResult } from './lib/BenchResult.js';
import { printTable } from './lib/printTable.js';
import { benchLocalEdit } from './localEdit.js';
import { benchQuality } from './quality.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false } } });
const quick = values.quick === true;
const only = values.only?.split(',').map((s) => s.trim());
const envNumber = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

const BENCHES: { id: string; name: string; run: () => Promise<BenchResult[]> }[] = [
  // First: the other benchmarks delete the stores they made, and on a journal-less ext4 every
  // new file then walks past the freed inodes for a minute or more (see lib/tempDir.ts), which
  // this one, making a file per turn, would count as the engine's CPU.
  { id: 'engine-overhead', name: 'engine overhead per turn', run: () => benchEngineOverhead({ turns: quick ? 50 : 300, warmup: quick ? 10 : 30, jitWarmup: quick ? 300 : 3000 }) },
  { id: 'engine-vs-fal-client', name: 'engine turn vs @fal-ai/client', run: () => benchEngineVsFalClient({ jobs: quick ? 6 : 30 }) },
  { id: 'fal-client', name: 'fal provider vs @fal-ai/client', run: () => benchFalClientComparison({ jobs: quick ? 10 : 30 }) },
  { id: 'exact-replay', name: 'exact replay', run: () => benchExactReplay({ repeats: quick ? 3 : 7 }) },
  { id: 'deep-session', name: '10,000-turn session', run: () => benchDeepSession({ depth: quick ? 2000 : 10_000 }) },
  {
    id: 'concurrent-sessions',
    name: 'concurrent sessions',
    run: () =>
      benchConcurrentSessions({
        sessions: quick ? 100 : envNumber('KONTEXT_BENCH_SESSIONS', 1000),
        maxInFlight: envNumber('KONTEXT_BENCH_MAX_IN_FLIGHT', 1000),
        connections: envNumber('KONTEXT_BENCH_CONNECTIONS', 128),
      }),
  },
  { id: 'local-edit', name: 'local provider edit', run: () => benchLocalEdit({ runs: quick ? 3 : 7 }) },
  { id: 'quality', name: 'drift and region preservation', run: () => benchQuality({ runs: quick ? 3 : 7 }) },
];

const started = performance.now();
const results: BenchResult[] = [];
for (const bench of BENCHES) {
  if (only && !only.includes(bench.id)) continue;
  const t0 = performance.now();
  process.stderr.write(`bench: ${bench.name}… `);
  try {
    results.push(...(await bench.run()));
    process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    // A benchmark that breaks is reported in the table, and the others still run.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`failed: ${message}\n`);
    results.push(notMeasured(`${bench.id}.error`, bench.name, 'ms', '—', `failed: ${message.split('\n')[0]!.slice(0, 160)}`));
  }
}
const totalS = (performance.now() - started) / 1000;

const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`;
console.log(`kontext-sessions benchmarks — ${new Date().toISOString()} — ${machine}${quick ? ' — QUICK (small samples)' : ''}\n`);
console.log(printTable(results));
console.log(`\nall benchmarks: ${totalS.toFixed(0)} s`);
const out = fileURLToPath(new URL('./results.json', import.meta.url));
writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), machine, quick, totalSeconds: totalS, results }, null, 2)}\n`);
console.log(`written: ${out}`);

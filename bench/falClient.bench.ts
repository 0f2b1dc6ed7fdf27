/**
 * Our fal client (submit + status stream + result) against the official @fal-ai/client
 * `subscribe` (its default: polling every 500 ms) on the same jobs, on the loopback fal
 * test server — no packet leaves the machine. Prints the median wall time per job of
 * each and their ratio; `runFalClientBench()` returns the same figures.
 *
 *   npx tsx bench/falClient.bench.ts [jobs=50] [inProgressMs=300] [concurrency=5]
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createFalClient } from '@fal-ai/client';
import sharp from 'sharp';
import { FAL_KONTEXT_PRO } from '../src/kontext/endpoints.js';
import { createFalProvider } from '../src/providers/fal/index.js';
import { toDataUri } from '../src/util/dataUri.js';
import { falLoopbackFetch } from '../test/support/falLoopbackFetch.js';
import { startFalTestServer } from '../test/support/falTestServer.js';

export interface FalClientBenchOptions {
  /** Jobs per client. Default 50. */
  jobs?: number;
  /** How long each job runs on the server. Default 300 ms. */
  inProgressMs?: number;
  /** Jobs in flight at once, per client. Default 5. */
  concurrency?: number;
}

export interface FalClientBenchFigures {
  jobs: number;
  inProgressMs: number;
  concurrency: number;
  /** Median wall time per job, submit to validated result, in ms. */
  oursMedianMs: number;
  falJsMedianMs: number;
  /** ours / fal-js: below 1 means ours is faster. Target ≤ 0.9. */
  ratio: number;
}

/**
 * Runs both clients on the same inputs, one client after the other, with the same
 * concurrency, against one test server.
 *
 * @example
 * const { oursMedianMs, falJsMedianMs, ratio } = await runFalClientBench({ jobs: 20 });
 */
export async function runFalClientBench(options: FalClientBenchOptions = {}): Promise<FalClientBenchFigures> {
  const jobs = options.jobs ?? 50;
  const inProgressMs = options.inProgressMs ?? 300;
  const concurrency = options.concurrency ?? 5;
  const server = await startFalTestServer({ queueMs: 0, inProgressMs, logIntervalMs: 50 });
  const ours = createFalProvider(server.clientOptions());
  const official = createFalClient({ credentials: server.key, fetch: falLoopbackFetch(server), suppressLocalCredentialsWarning: true });
  try {
    const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 120, b: 200 } } }).png().toBuffer();
    const inputs = Array.from({ length: jobs }, (_, index) => ({ prompt: `benchmark job ${index}`, image_url: toDataUri(image, 'image/png'), seed: index }));
    const runOurs = async (input: (typeof inputs)[number]) => {
      const job = await ours.submit(FAL_KONTEXT_PRO, input);
      await ours.wait(FAL_KONTEXT_PRO, job);
    };
    const runOfficial = async (input: (typeof inputs)[number]) => {
      await official.subscribe(FAL_KONTEXT_PRO, { input });
    };
    // One warm-up job each, so neither pays for connection setup or JIT in the figures.
    await runOurs(inputs[0]!);
    await runOfficial(inputs[0]!);
    const oursTimes = await timeAll(inputs, concurrency, runOurs);
    const falJsTimes = await timeAll(inputs, concurrency, runOfficial);
    const oursMedianMs = median(oursTimes);
    const falJsMedianMs = median(falJsTimes);
    return { jobs, inProgressMs, concurrency, oursMedianMs, falJsMedianMs, ratio: oursMedianMs / falJsMedianMs };
  } finally {
    await ours.close();
    await server.close();
  }
}

async function timeAll<T>(inputs: readonly T[], concurrency: number, run: (input: T) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const input = inputs[next++]!;
      const started = performance.now();
      await run(input);
      times.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  return times;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [jobs, inProgressMs, concurrency] = process.argv.slice(2).map(Number);
  const figures = await runFalClientBench({
    ...(jobs ? { jobs } : {}),
    ...(inProgressMs ? { inProgressMs } : {}),
    ...(concurrency ? { concurrency } : {}),
  });
  console.log(`fal client benchmark: ${figures.jobs} jobs of ${figures.inProgressMs} ms, ${figures.concurrency} at a time, loopback test server`);
  console.log(`  ours (submit + status stream + result): median ${figures.oursMedianMs.toFixed(1)} ms per job`);
  console.log(`  @fal-ai/client subscribe (polling):     median ${figures.falJsMedianMs.toFixed(1)} ms per job`);
  console.log(`  ratio ours / fal-js: ${figures.ratio.toFixed(3)} (target ≤ 0.9)`);
}

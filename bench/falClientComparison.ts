import { runFalClientBench } from './falClient.bench.js';
import { atMost, type BenchResult } from './lib/BenchResult.js';
import { ms } from './lib/stats.js';

/**
 * The fal provider alone (submit + status stream + result, no engine) against
 * `@fal-ai/client` subscribe, from the provider's own benchmark (bench/falClient.bench.ts),
 * so the table shows how much of the engine's lead is the client's.
 */
export async function benchFalClientComparison(options: { jobs?: number } = {}): Promise<BenchResult[]> {
  const figures = await runFalClientBench({ jobs: options.jobs ?? 30, inProgressMs: 300, concurrency: 5 });
  return [
    atMost(
      {
        id: 'fal-client-vs-fal-js.ratio',
        name: `fal provider alone vs @fal-ai/client subscribe (${figures.inProgressMs} ms jobs)`,
        unit: 'ratio',
        measured: figures.ratio,
        shown: figures.ratio.toFixed(3),
        compared: { provider: `${ms(figures.oursMedianMs)} median`, '@fal-ai/client': `${ms(figures.falJsMedianMs)} median` },
        note: `runFalClientBench(): ${figures.jobs} jobs per client, ${figures.concurrency} at a time, one client after the other`,
      },
      0.9,
    ),
  ];
}

import { join } from 'node:path';
import { createFalClient } from '@fal-ai/client';
import { FileBlobStore } from '../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../src/engine/SessionEngine.js';
import { FAL_KONTEXT_PRO } from '../src/kontext/endpoints.js';
import { createFalProvider } from '../src/providers/fal/index.js';
import { SessionStore } from '../src/store/SessionStore.js';
import { toDataUri } from '../src/util/dataUri.js';
import { falLoopbackFetch } from '../test/support/falLoopbackFetch.js';
import { startFalTestServer } from '../test/support/falTestServer.js';
import { testImage } from '../test/support/images.js';
import { atMost, type BenchResult } from './lib/BenchResult.js';
import { median, ms, quantile } from './lib/stats.js';
import { tempDir } from './lib/tempDir.js';

export interface EngineVsFalClientOptions {
  /** Jobs per side. Default 30. */
  jobs?: number;
  /** How long each job stays IN_PROGRESS on the server. Default 300 ms. */
  inProgressMs?: number;
}

/**
 * A whole engine turn — an edit from a session's root, written before submit, submitted,
 * followed on the status stream, its output downloaded and archived on disk — against
 * `@fal-ai/client`'s `subscribe` (polling every 500 ms, its default) on the identical job:
 * same prompt, seed, image (the same data URI) and endpoint, on the loopback test server.
 * The two sides alternate job by job (and which goes first alternates too), so drift in
 * the machine's load falls on both equally.
 */
export async function benchEngineVsFalClient(options: EngineVsFalClientOptions = {}): Promise<BenchResult[]> {
  const jobs = options.jobs ?? 30;
  const inProgressMs = options.inProgressMs ?? 300;
  const server = await startFalTestServer({ queueMs: 0, inProgressMs, logIntervalMs: 50 });
  const dir = tempDir('vs-fal-js');
  const store = SessionStore.open(join(dir.path, 'kontext.db'));
  const provider = createFalProvider(server.clientOptions());
  const engine = new SessionEngine({ store, blobs: new FileBlobStore(join(dir.path, 'blobs')), providers: [provider], defaultEndpoint: FAL_KONTEXT_PRO });
  // The guard in falLoopbackFetch throws on any URL that is not fal's (rewritten to loopback) or loopback.
  const official = createFalClient({ credentials: server.key, fetch: falLoopbackFetch(server), suppressLocalCredentialsWarning: true });
  try {
    const image = await testImage(64, 48);
    const imageUrl = toDataUri(image, 'image/png');
    const session = await engine.startSession({ image: { bytes: image } });
    const root = session.headTurnId!;
    const engineJob = async (i: number) => {
      const turn = await engine.edit(session.id, `benchmark job ${i}`, { seed: i }, { from: root, memo: 'never' });
      if (turn.status !== 'succeeded' || turn.outputs.length !== 1) throw new Error(`engine job ${i} ended ${turn.status}: ${turn.errorMessage}`);
    };
    const officialJob = async (i: number) => {
      const result = await official.subscribe(FAL_KONTEXT_PRO, { input: { prompt: `benchmark job ${i}`, image_url: imageUrl, seed: i } });
      if (!Array.isArray((result.data as { images?: unknown }).images)) throw new Error(`@fal-ai/client job ${i} returned no images`);
    };
    // Warm-up (a seed no timed job uses): connections, JIT, sharp's first encode on the server.
    const warmUp = 1_000_000;
    await engineJob(warmUp);
    await officialJob(warmUp);

    const engineTimes: number[] = [];
    const officialTimes: number[] = [];
    const timed = async (run: () => Promise<void>, into: number[]) => {
      const started = performance.now();
      await run();
      into.push(performance.now() - started);
    };
    for (let i = 0; i < jobs; i++) {
      const first = i % 2 === 0;
      if (first) await timed(() => engineJob(i), engineTimes);
      await timed(() => officialJob(i), officialTimes);
      if (!first) await timed(() => engineJob(i), engineTimes);
    }
    const submissions = server.submissions.length;
    if (submissions !== 2 * jobs + 2) throw new Error(`expected ${2 * jobs + 2} submissions on the server, saw ${submissions}`);
    const engineMedian = median(engineTimes);
    const officialMedian = median(officialTimes);
    const ratio = engineMedian / officialMedian;
    return [
      atMost(
        {
          id: 'engine-vs-fal-client.ratio',
          name: `Engine turn vs @fal-ai/client subscribe (${inProgressMs} ms jobs)`,
          unit: 'ratio',
          measured: ratio,
          shown: ratio.toFixed(3),
          compared: { engine: `${ms(engineMedian)} median (p90 ${ms(quantile(engineTimes, 0.9))})`, '@fal-ai/client': `${ms(officialMedian)} median (p90 ${ms(quantile(officialTimes, 0.9))})` },
          note: `${jobs} identical jobs per side, alternating, one at a time; engine = edit + archive on a file-backed store; @fal-ai/client 1.10 subscribe (polling, 500 ms default)`,
        },
        0.9,
      ),
    ];
  } finally {
    await engine.close();
    await provider.close();
    store.close();
    await server.close();
    dir.remove();
  }
}

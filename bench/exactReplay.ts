import { join } from 'node:path';
import { FileBlobStore } from '../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../src/engine/SessionEngine.js';
import { SessionStore } from '../src/store/SessionStore.js';
import { testImage } from '../test/support/images.js';
import { atMost, type BenchResult } from './lib/BenchResult.js';
import { createInstantProvider, INSTANT_ENDPOINT, instantEndpoints } from './lib/instantProvider.js';
import { median, ms } from './lib/stats.js';
import { tempDir } from './lib/tempDir.js';

/**
 * An exact replay of a 100-turn path (root + 100 edits) into a new branch: the outputs are
 * copied from the archive, so the provider must not be called at all. Timed several times
 * on a file-backed store; each replay makes a new branch of 100 turns.
 */
export async function benchExactReplay(options: { depth?: number; repeats?: number } = {}): Promise<BenchResult[]> {
  const depth = options.depth ?? 100;
  const repeats = options.repeats ?? 7;
  const dir = tempDir('replay');
  const store = SessionStore.open(join(dir.path, 'kontext.db'));
  // The replay never touches image bytes, so a small image keeps the setup quick.
  const provider = createInstantProvider(await testImage(32, 32));
  const engine = new SessionEngine({ store, blobs: new FileBlobStore(join(dir.path, 'blobs')), providers: [provider], endpoints: instantEndpoints(), defaultEndpoint: INSTANT_ENDPOINT });
  try {
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    let tip = '';
    for (let i = 0; i < depth; i++) tip = (await engine.edit(session.id, `step ${i}`, { seed: i })).id;
    const times: number[] = [];
    let calls = 0;
    let reported = 0;
    for (let r = 0; r < repeats; r++) {
      const before = provider.submits;
      const started = performance.now();
      const report = await engine.replay(session.id, { to: tip, mode: 'exact', branch: `bench-${r}` });
      times.push(performance.now() - started);
      calls += provider.submits - before;
      reported += report.providerCalls;
      if (report.steps.length !== depth || report.steps.some((s) => s.status !== 'succeeded')) throw new Error('exact replay did not copy every turn');
    }
    const note = `${depth}-turn path, ${repeats} replays on a file-backed store; provider submits counted on the provider (${calls}) and reported by replay (${reported})`;
    return [
      atMost({ id: 'exact-replay.provider-calls', name: `Exact replay of a ${depth}-turn path: provider calls`, unit: 'calls', measured: calls, shown: String(calls), note }, 0, { target: '0' }),
      atMost({ id: 'exact-replay.time', name: `Exact replay of a ${depth}-turn path: time`, unit: 'ms', measured: median(times), shown: `${ms(median(times))} (median)`, note: `min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}` }, 50, { strict: true }),
    ];
  } finally {
    await engine.close();
    store.close();
    dir.remove();
  }
}

import { LOCAL_KONTEXT_SIM } from '../src/kontext/endpoints.js';
import { createLocalProvider } from '../src/providers/local/index.js';
import { measureDrift } from '../src/quality/measureDrift.js';
import { preserveRegions } from '../src/quality/preserveRegions.js';
import { toDataUri } from '../src/util/dataUri.js';
import { atMost, type BenchResult } from './lib/BenchResult.js';
import { localImageBytes } from './lib/localImageBytes.js';
import { median, ms } from './lib/stats.js';
import { photoLikeJpeg } from './localEdit.js';

/**
 * The quality work the engine does after a 1024×1024 edit with region preservation on: keep
 * the parent's pixels outside the edit, then measure the kept image's drift against the
 * parent and against the root (a second, different image). The edit is a real local-provider
 * output; the provider's own time is not counted.
 */
export async function benchQuality(options: { runs?: number } = {}): Promise<BenchResult[]> {
  const runs = options.runs ?? 7;
  const root = await photoLikeJpeg();
  const provider = createLocalProvider();
  const edit = async (image: Buffer, prompt: string, seed: number) => {
    const job = await provider.submit(LOCAL_KONTEXT_SIM, { prompt, image_url: toDataUri(image, 'image/jpeg'), seed });
    const output = await provider.wait(LOCAL_KONTEXT_SIM, job);
    return localImageBytes(provider, output.images[0]!.url);
  };
  const parent = await edit(root, 'make it warmer', 1);
  const output = await edit(parent, "add text 'HELLO'", 2);
  const once = async () => {
    const started = performance.now();
    const kept = await preserveRegions(parent, output, 'image/jpeg');
    await measureDrift(parent, kept.bytes);
    await measureDrift(root, kept.bytes);
    return performance.now() - started;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  return [
    atMost(
      {
        id: 'quality.1024',
        name: 'Drift + region preservation of one 1024×1024 turn',
        unit: 'ms',
        measured: median(times),
        shown: `${ms(median(times))} (median)`,
        note: `preserve regions, drift vs parent and vs root, JPEG in and out, ${runs} runs after a warm-up; min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}`,
      },
      100,
      { strict: true },
    ),
  ];
}

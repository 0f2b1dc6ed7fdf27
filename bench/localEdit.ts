import sharp from 'sharp';
import { LOCAL_KONTEXT_SIM } from '../src/kontext/endpoints.js';
import { createLocalProvider } from '../src/providers/local/index.js';
import { toDataUri } from '../src/util/dataUri.js';
import { atMost, type BenchResult } from './lib/BenchResult.js';
import { median, ms } from './lib/stats.js';

/** A photo-like 1024×1024 JPEG: shapes under noise, so it neither decodes nor compresses unrealistically fast. */
export async function photoLikeJpeg(size = 1024): Promise<Buffer> {
  const shapes = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">` +
      `<defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#8ab"/><stop offset="1" stop-color="#553"/></linearGradient></defs>` +
      `<rect width="100%" height="100%" fill="url(#g)"/><circle cx="350" cy="400" r="220" fill="#c84"/><rect x="600" y="500" width="300" height="400" fill="#365"/></svg>`,
  );
  const noise = await sharp({ create: { width: size, height: size, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).png().toBuffer();
  return sharp(shapes).composite([{ input: noise, blend: 'overlay' }]).jpeg({ quality: 90 }).toBuffer();
}

/**
 * One 1024×1024 edit on the offline local provider, the way the engine calls it (submit,
 * then wait for the validated output), timed over several runs after a warm-up. No network.
 */
export async function benchLocalEdit(options: { runs?: number; prompt?: string } = {}): Promise<BenchResult[]> {
  const runs = options.runs ?? 7;
  const prompt = options.prompt ?? 'make it night';
  const input = await photoLikeJpeg();
  const imageUrl = toDataUri(input, 'image/jpeg');
  const provider = createLocalProvider();
  const once = async (seed: number) => {
    const started = performance.now();
    const job = await provider.submit(LOCAL_KONTEXT_SIM, { prompt, image_url: imageUrl, seed });
    const output = await provider.wait(LOCAL_KONTEXT_SIM, job);
    const elapsed = performance.now() - started;
    const image = output.images[0]!;
    if (image.width !== 1024 || image.height !== 1024) throw new Error(`expected a 1024×1024 output, got ${image.width}×${image.height}`);
    return elapsed;
  };
  await once(1_000_000);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once(i));
  return [
    atMost(
      {
        id: 'local-edit.1024',
        name: 'Local provider: one 1024×1024 edit',
        unit: 'ms',
        measured: median(times),
        shown: `${ms(median(times))} (median)`,
        note: `${JSON.stringify(prompt)}, JPEG in and out, ${runs} runs after a warm-up; min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}`,
      },
      150,
      { strict: true },
    ),
  ];
}

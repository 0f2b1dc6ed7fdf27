/**
 * Times one 1024×1024 edit through the local provider (submit + wait, the way the engine
 * calls it). Not a test: run it by hand on the machine in question.
 *
 *   npx tsx test/providers/local/measureEdit.ts ["prompt"] [jpeg|png]
 */
import sharp from 'sharp';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import { toDataUri } from '../../../src/util/dataUri.js';

const prompt = process.argv[2] ?? 'make it night';
const outputFormat = (process.argv[3] ?? 'jpeg') as 'jpeg' | 'png';
const runs = 15;

// A photo-like input: shapes under noise, so it neither decodes nor compresses unrealistically fast.
const size = 1024;
const shapes = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">` +
    `<defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#8ab"/><stop offset="1" stop-color="#553"/></linearGradient></defs>` +
    `<rect width="100%" height="100%" fill="url(#g)"/><circle cx="350" cy="400" r="220" fill="#c84"/><rect x="600" y="500" width="300" height="400" fill="#365"/></svg>`,
);
const noise = await sharp({ create: { width: size, height: size, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).png().toBuffer();
const input = await sharp(shapes).composite([{ input: noise, blend: 'overlay' }]).jpeg({ quality: 90 }).toBuffer();
const imageUrl = toDataUri(input, 'image/jpeg');

const provider = createLocalProvider();
const times: number[] = [];
// CPU time (all of the process's threads, sharp's included) is the fairer figure on a busy machine.
const cpu: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const job = await provider.submit('local/kontext-sim', { prompt, image_url: imageUrl, seed: i, output_format: outputFormat });
  const output = await provider.wait('local/kontext-sim', job);
  times.push(performance.now() - started);
  const used = process.cpuUsage(cpuStarted);
  cpu.push((used.user + used.system) / 1000);
  if (i === 0) console.log(`output ${output.images[0]!.width}×${output.images[0]!.height} ${output.images[0]!.content_type}; input ${input.byteLength} bytes`);
}
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!.toFixed(1);
console.log(
  `${JSON.stringify(prompt)} → ${outputFormat}: wall first ${times[0]!.toFixed(1)} ms, median ${quantile(times, 0.5)} ms, min ${quantile(times, 0)} ms; ` +
    `CPU median ${quantile(cpu, 0.5)} ms over ${runs} runs (load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`,
);

import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BlobTooLargeError } from '../../../src/blobs/BlobTooLargeError.js';
import { CancelledError, IntegrityError, NotFoundError, ProviderError, ValidationError } from '../../../src/errors/index.js';
import { FAL_KONTEXT_PRO } from '../../../src/kontext/endpoints.js';
import { KontextOutput } from '../../../src/kontext/schemas.js';
import type { ProgressEvent } from '../../../src/providers/Provider.js';
import { createLocalProvider, type LocalJobHandle } from '../../../src/providers/local/index.js';
import { isDataUri, parseDataUri, toDataUri } from '../../../src/util/dataUri.js';
import { sniffImageType } from '../../../src/util/imageType.js';
import { collected } from '../../support/collectGarbage.js';
import { EDIT, TEXT, imageServer, meanColour, readAll, runJob, sceneDataUri, sceneImage, solidImage } from './fixtures.js';
import { manualClock, until } from './manualClock.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('determinism', () => {
  it('the same image, prompt, parameters and seed give byte-identical images, in a fresh provider too', async () => {
    const input = { prompt: 'make it red at night', image_url: await sceneDataUri(), seed: 42 };
    const first = await runJob(createLocalProvider(), EDIT, input);
    const again = await runJob(createLocalProvider(), EDIT, input);
    expect(again.images[0]!.equals(first.images[0]!)).toBe(true);
    const t2i = { prompt: 'a lighthouse at dusk', seed: 42 };
    expect((await runJob(createLocalProvider(), TEXT, t2i)).images[0]!.equals((await runJob(createLocalProvider(), TEXT, t2i)).images[0]!)).toBe(true);
  });

  it('another seed gives other bytes, whatever the prompt', async () => {
    const image_url = await sceneDataUri();
    const provider = createLocalProvider();
    for (const prompt of ['make it red', 'flip it', 'put a donut next to the flour']) {
      const one = await runJob(provider, EDIT, { prompt, image_url, seed: 1 });
      const two = await runJob(provider, EDIT, { prompt, image_url, seed: 2 });
      expect(one.images[0]!.equals(two.images[0]!), prompt).toBe(false);
    }
    const a = await runJob(provider, TEXT, { prompt: 'a cat', seed: 1 });
    const b = await runJob(provider, TEXT, { prompt: 'a cat', seed: 2 });
    expect(a.images[0]!.equals(b.images[0]!)).toBe(false);
  });
});

describe('request parameters', () => {
  it('without a seed, one is drawn from the injected random source and reported as used', async () => {
    const provider = createLocalProvider({ random: () => 0.25 });
    const job = await provider.submit(EDIT, { prompt: 'blur', image_url: await sceneDataUri() });
    expect((job.handle as unknown as LocalJobHandle).input.seed).toBe(1_073_741_824);
    const output = await provider.wait(EDIT, job);
    expect(output.seed).toBe(1_073_741_824);
  });

  it('num_images: candidate i is the image that seed + i gives', async () => {
    const image_url = await sceneDataUri();
    const provider = createLocalProvider();
    const { output, images } = await runJob(provider, EDIT, { prompt: 'make it green', image_url, seed: 10, num_images: 3 });
    expect(output.images).toHaveLength(3);
    expect(output.has_nsfw_concepts).toEqual([false, false, false]);
    expect(output.seed).toBe(10);
    expect(new Set(images.map((b) => b.toString('base64'))).size).toBe(3);
    const alone = await runJob(provider, EDIT, { prompt: 'make it green', image_url, seed: 12 });
    expect(images[2]!.equals(alone.images[0]!)).toBe(true);
  });

  it('output_format decides the bytes and the content type (jpeg by default)', async () => {
    const image_url = await sceneDataUri();
    const provider = createLocalProvider();
    const jpeg = await runJob(provider, EDIT, { prompt: 'make it pink', image_url, seed: 1 });
    expect(sniffImageType(jpeg.images[0]!)).toBe('image/jpeg');
    expect(jpeg.output.images[0]).toMatchObject({ content_type: 'image/jpeg' });
    expect(jpeg.output.images[0]!.url).toMatch(/^local:\/\/[^/]+\/0\.jpeg$/);
    const png = await runJob(provider, EDIT, { prompt: 'make it pink', image_url, seed: 1, output_format: 'png' });
    expect(sniffImageType(png.images[0]!)).toBe('image/png');
    expect(png.output.images[0]).toMatchObject({ content_type: 'image/png' });
  });

  it('aspect_ratio crops to the ratio; without it the input keeps its size', async () => {
    const image_url = await sceneDataUri(320, 240);
    const provider = createLocalProvider();
    const sizes: Record<string, [number, number]> = {};
    for (const aspect_ratio of [undefined, '16:9', '1:1', '9:16'] as const) {
      const { output, images } = await runJob(provider, EDIT, { prompt: 'make it yellow', image_url, seed: 1, ...(aspect_ratio ? { aspect_ratio } : {}) });
      const meta = await sharp(images[0]!).metadata();
      expect([meta.width, meta.height]).toEqual([output.images[0]!.width, output.images[0]!.height]);
      sizes[aspect_ratio ?? 'none'] = [meta.width, meta.height];
    }
    expect(sizes).toEqual({ none: [320, 240], '16:9': [320, 180], '1:1': [240, 240], '9:16': [135, 240] });
  });

  it('a large input is brought down to 1024 on its long side; a 1024×1024 one stays as it is', async () => {
    const provider = createLocalProvider();
    const size = async (width: number, height: number, extra: Record<string, unknown> = {}) => {
      const image_url = toDataUri(await solidImage(width, height, { r: 90, g: 120, b: 150 }), 'image/png');
      const { output } = await runJob(provider, EDIT, { prompt: 'make it blue', image_url, seed: 1, ...extra });
      return [output.images[0]!.width, output.images[0]!.height];
    };
    expect(await size(2048, 1536)).toEqual([1024, 768]);
    expect(await size(1024, 1024)).toEqual([1024, 1024]);
    expect(await size(2048, 1536, { aspect_ratio: '21:9' })).toEqual([1024, 439]);
  });

  it('sync_mode returns the images as data URIs', async () => {
    const { output, images } = await runJob(createLocalProvider(), EDIT, { prompt: 'sharpen', image_url: await sceneDataUri(), seed: 1, sync_mode: true });
    expect(isDataUri(output.images[0]!.url)).toBe(true);
    expect(parseDataUri(output.images[0]!.url).bytes.equals(images[0]!)).toBe(true);
  });

  it('does not keep a sync_mode result (its images inline) once it is returned; a second wait computes the same again', async () => {
    const provider = createLocalProvider();
    const job = await provider.submit(EDIT, { prompt: 'sharpen', image_url: await sceneDataUri(), seed: 1, sync_mode: true, num_images: 2 });
    // In a function of its own, so that no frame of this test holds the result.
    const waitOnce = async () => {
      const output = await provider.wait(EDIT, job);
      return { urls: output.images.map((image) => image.url), kept: new WeakRef(output) };
    };
    const { urls: firstUrls, kept } = await waitOnce();
    // A finished job stays finished: cancelling it does not make the second wait fail.
    await provider.cancel(EDIT, job);
    expect((await provider.wait(EDIT, job)).images.map((image) => image.url)).toEqual(firstUrls);
    // Up to 1,024 remembered jobs with a few MB of data URIs each would be memory without a bound.
    expect(await collected(kept)).toBe(true);
  });

  it('returns the Kontext output shape, marked as simulated', async () => {
    const { output } = await runJob(createLocalProvider(), EDIT, { prompt: 'make it night', image_url: await sceneDataUri(), seed: 3 });
    expect(KontextOutput.safeParse(output).success).toBe(true);
    expect(output).toMatchObject({
      seed: 3,
      prompt: 'make it night',
      has_nsfw_concepts: [false],
      simulated: true,
      provider: 'local',
      endpoint_id: EDIT,
      images: [{ width: 320, height: 240, content_type: 'image/jpeg' }],
    });
    expect(typeof output.timings.inference).toBe('number');
  });

  it('reports the injected clock as the inference time', async () => {
    const clock = manualClock();
    const provider = createLocalProvider({ clock, delayMs: 2500 });
    const job = await provider.submit(EDIT, { prompt: 'blur', image_url: await sceneDataUri(), seed: 1 });
    const waiting = provider.wait(EDIT, job);
    await until(() => clock.sleepers() === 1, 'the artificial delay');
    clock.advance(2500);
    expect((await waiting).timings).toEqual({ inference: 2.5 });
  });
});

describe('validation', () => {
  it('lists every problem at once, as the fal provider does', async () => {
    const provider = createLocalProvider();
    const error = await rejection(
      provider.submit(EDIT, { prompt: '', guidance_scale: 25, num_images: 9, output_format: 'gif', image_url: 'ftp://example.com/a.png', colour: 'red' }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    const fields = (error as ValidationError).issues.map((i) => i.field).sort();
    expect(fields).toEqual(['colour', 'guidance_scale', 'image_url', 'num_images', 'output_format', 'prompt']);
    expect((error as ValidationError).message).toContain('guidance_scale: 25 is above the maximum 20');
  });

  it('refuses an edit without an image, and a text-to-image with one', async () => {
    const provider = createLocalProvider();
    const noImage = (await rejection(provider.submit(EDIT, { prompt: 'blur' }))) as ValidationError;
    expect(noImage.issues).toEqual([{ field: 'image_url', message: 'is required (string)' }]);
    const withImage = (await rejection(provider.submit(TEXT, { prompt: 'a cat', image_url: await sceneDataUri() }))) as ValidationError;
    expect(withImage.issues).toEqual([{ field: 'image_url', message: 'is not a known field' }]);
  });

  it('refuses a data URI that is not an image, and a local:// URL it does not hold', async () => {
    const provider = createLocalProvider();
    const text = (await rejection(provider.submit(EDIT, { prompt: 'blur', image_url: 'data:text/plain;base64,aGVsbG8=' }))) as ValidationError;
    expect(text).toBeInstanceOf(ValidationError);
    expect(text.issues[0]!.field).toBe('image_url');
    const unknown = (await rejection(provider.submit(EDIT, { prompt: 'blur', image_url: 'local://nope/0.jpeg' }))) as ValidationError;
    expect(unknown.issues[0]!.message).toContain('no longer held');
  });

  it('fails a job whose image is cut short with a ValidationError on image_url', async () => {
    const provider = createLocalProvider();
    const png = await sceneImage();
    const job = await provider.submit(EDIT, { prompt: 'blur', image_url: toDataUri(png.subarray(0, png.byteLength / 2), 'image/png'), seed: 1 });
    const error = (await rejection(provider.wait(EDIT, job))) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues[0]!.field).toBe('image_url');
  });

  it('refuses endpoints it does not run', async () => {
    const provider = createLocalProvider();
    const fal = (await rejection(provider.submit(FAL_KONTEXT_PRO, { prompt: 'blur', image_url: await sceneDataUri() }))) as ValidationError;
    expect(fal.issues).toEqual([{ field: 'endpoint', message: `'${FAL_KONTEXT_PRO}' is run by the fal provider, not local` }]);
    expect(await rejection(provider.submit('local/other', { prompt: 'x' }))).toBeInstanceOf(ValidationError);
  });

  it('refuses bad options when it is created', () => {
    expect(() => createLocalProvider({ delayMs: -1, concurrency: 0 })).toThrow(ValidationError);
  });
});

describe('text-to-image', () => {
  it('draws a picture from the prompt and seed at the aspect ratio (1:1 by default)', async () => {
    const provider = createLocalProvider();
    const square = await runJob(provider, TEXT, { prompt: 'a lighthouse', seed: 5 });
    expect([square.output.images[0]!.width, square.output.images[0]!.height]).toEqual([1024, 1024]);
    const wide = await runJob(provider, TEXT, { prompt: 'a lighthouse', seed: 5, aspect_ratio: '16:9', output_format: 'png' });
    expect((await sharp(wide.images[0]!).metadata()).width).toBe(1024);
    expect((await sharp(wide.images[0]!).metadata()).height).toBe(576);
    const other = await runJob(provider, TEXT, { prompt: 'a windmill', seed: 5 });
    expect(other.images[0]!.equals(square.images[0]!)).toBe(false);
    expect(square.output).toMatchObject({ simulated: true, prompt: 'a lighthouse', seed: 5 });
  });

  it('applies the edits the prompt names to the picture', async () => {
    const provider = createLocalProvider();
    const red = await meanColour((await runJob(provider, TEXT, { prompt: 'a red barn', seed: 5 })).images[0]!);
    const blue = await meanColour((await runJob(provider, TEXT, { prompt: 'a blue barn', seed: 5 })).images[0]!);
    expect(red.r / red.b).toBeGreaterThan(blue.r / blue.b);
  });
});

describe('progress', () => {
  it('reports queued, then running with what it applies, then completed with metrics', async () => {
    const events: ProgressEvent[] = [];
    await runJob(createLocalProvider(), EDIT, { prompt: 'make it night and blur it', image_url: await sceneDataUri(), seed: 1 }, { onProgress: (e) => events.push(e) });
    expect(events[0]).toEqual({ type: 'queued', position: 0 });
    expect(events.at(-1)).toMatchObject({ type: 'completed', metrics: { inference_time: expect.any(Number) } });
    const middle = events.slice(1, -1);
    expect(middle.length).toBeGreaterThan(0);
    expect(middle.every((e) => e.type === 'running')).toBe(true);
    const lines = middle.flatMap((e) => (e.type === 'running' ? e.logs.map((l) => l.message) : []));
    expect(lines).toContain('applying: night');
    expect(lines).toContain('applying: blur');
    expect(lines.indexOf('applying: night')).toBeLessThan(lines.indexOf('applying: blur'));
  });

  it('jobs wait their turn, hearing their place in line as it moves', async () => {
    const clock = manualClock();
    const provider = createLocalProvider({ clock, delayMs: 1000, concurrency: 1 });
    const image_url = await sceneDataUri();
    const events: ProgressEvent['type'][][] = [[], [], []];
    const positions: (number | undefined)[][] = [[], [], []];
    const jobs = await Promise.all([0, 1, 2].map((seed) => provider.submit(EDIT, { prompt: 'blur', image_url, seed })));
    const waits = jobs.map((job, i) =>
      provider.wait(EDIT, job, {
        onProgress: (e) => {
          events[i]!.push(e.type);
          if (e.type === 'queued') positions[i]!.push(e.position);
        },
      }),
    );
    for (let done = 0; done < 3; done++) {
      await until(() => clock.sleepers() === 1, `job ${done} to run`);
      clock.advance(1000);
      await waits[done];
    }
    expect(positions).toEqual([[0], [0], [1, 0]]);
    for (const list of events) {
      expect(list[0]).toBe('queued');
      expect(list.at(-1)).toBe('completed');
      expect(list.filter((t) => t === 'completed')).toHaveLength(1);
    }
  });

  it('a listener that throws does not break the job', async () => {
    const { output } = await runJob(createLocalProvider(), EDIT, { prompt: 'flip', image_url: await sceneDataUri(), seed: 1 }, {
      onProgress: () => {
        throw new Error('listener bug');
      },
    });
    expect(output.images).toHaveLength(1);
  });
});

describe('cancel', () => {
  async function runningJob() {
    const clock = manualClock();
    const provider = createLocalProvider({ clock, delayMs: 60_000 });
    const job = await provider.submit(EDIT, { prompt: 'make it night', image_url: await sceneDataUri(), seed: 1 });
    return { clock, provider, job };
  }

  it('cancel() while the job runs ends the wait with CancelledError, and later waits too', async () => {
    const { clock, provider, job } = await runningJob();
    const waiting = provider.wait(EDIT, job);
    await until(() => clock.sleepers() === 1, 'the job to run');
    await provider.cancel(EDIT, job);
    const error = await rejection(waiting);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).code).toBe('CANCELLED');
    expect(await rejection(provider.wait(EDIT, job))).toBeInstanceOf(CancelledError);
  });

  it('aborting the wait ends it with CancelledError and cancels the job', async () => {
    const { clock, provider, job } = await runningJob();
    const controller = new AbortController();
    const waiting = provider.wait(EDIT, job, { signal: controller.signal });
    await until(() => clock.sleepers() === 1, 'the job to run');
    controller.abort();
    expect(await rejection(waiting)).toBeInstanceOf(CancelledError);
    expect(await rejection(provider.wait(EDIT, job))).toBeInstanceOf(CancelledError);
  });

  it('a job cancelled before anyone waits never runs', async () => {
    const { provider, job } = await runningJob();
    await provider.cancel(EDIT, job);
    const events: ProgressEvent[] = [];
    expect(await rejection(provider.wait(EDIT, job, { onProgress: (e) => events.push(e) }))).toBeInstanceOf(CancelledError);
    expect(events).toEqual([]);
  });

  it('a job waiting in line can be cancelled there', async () => {
    const clock = manualClock();
    const provider = createLocalProvider({ clock, delayMs: 1000, concurrency: 1 });
    const image_url = await sceneDataUri();
    const first = await provider.submit(EDIT, { prompt: 'blur', image_url, seed: 1 });
    const second = await provider.submit(EDIT, { prompt: 'blur', image_url, seed: 2 });
    const running = provider.wait(EDIT, first);
    const queued = provider.wait(EDIT, second);
    await until(() => clock.sleepers() === 1, 'the first job to run');
    await provider.cancel(EDIT, second);
    expect(await rejection(queued)).toBeInstanceOf(CancelledError);
    clock.advance(1000);
    expect((await running).images).toHaveLength(1);
  });

  it('cancelling a finished job changes nothing', async () => {
    const provider = createLocalProvider();
    const job = await provider.submit(EDIT, { prompt: 'flip', image_url: await sceneDataUri(), seed: 1 });
    const output = await provider.wait(EDIT, job);
    await provider.cancel(EDIT, job);
    expect(await provider.wait(EDIT, job)).toEqual(output);
  });
});

describe('resume after a restart', () => {
  it('a fresh provider recomputes a job from its stored handle, byte for byte', async () => {
    const before = createLocalProvider();
    const job = await before.submit(EDIT, { prompt: 'winter', image_url: await sceneDataUri(), seed: 9, num_images: 2 });
    const original = await before.wait(EDIT, job);
    const originalBytes = await readAll((await before.download(original.images[1]!.url)).body);

    // What the engine keeps in SQLite is JSON.
    const stored = JSON.parse(JSON.stringify(job)) as typeof job;
    const after = createLocalProvider();
    const resumed = await after.wait(EDIT, stored);
    expect(resumed.images.map((i) => i.url)).toEqual(original.images.map((i) => i.url));
    expect(resumed.seed).toBe(9);
    expect((await readAll((await after.download(resumed.images[1]!.url)).body)).equals(originalBytes)).toBe(true);
  });

  it('a job whose image was one of its own local:// outputs resumes from the image given to wait, checked by its hash', async () => {
    const before = createLocalProvider();
    const first = await runJob(before, TEXT, { prompt: 'a house', seed: 1 });
    const inputBytes = first.images[0]!;
    const job = await before.submit(EDIT, { prompt: 'make it night', image_url: first.output.images[0]!.url, seed: 2 });
    const handle = job.handle as unknown as LocalJobHandle;
    expect(handle.input.image_url).toBe(first.output.images[0]!.url);
    // The handle names the image by hash; it does not carry it (the engine archives it anyway).
    expect(handle.inputSha256).toBe(createHash('sha256').update(inputBytes).digest('hex'));
    expect(Object.keys(handle).sort()).toEqual(['endpointId', 'input', 'inputSha256', 'v']);
    expect(JSON.stringify(handle).length).toBeLessThan(1024);
    const original = await before.wait(EDIT, job);
    const originalBytes = await readAll((await before.download(original.images[0]!.url)).body);

    // A new process no longer holds the local:// URL.
    const stored = JSON.parse(JSON.stringify(job)) as typeof job;
    const after = createLocalProvider();
    const missing = await rejection(after.wait(EDIT, stored));
    expect(missing).toBeInstanceOf(ProviderError);
    expect((missing as Error).message).toMatch(/cannot be resumed by this process: its input image local:\/\/\S+ was held in the memory of the process that submitted it; pass that image to wait\(\) as `inputImage`/);
    const wrong = await rejection(after.wait(EDIT, stored, { inputImage: { hash: 'other', load: async () => sceneImage() } }));
    expect((wrong as Error).message).toMatch(/the image given to resume it \(other\) is not the one it was submitted with/);

    const resumed = await after.wait(EDIT, stored, { inputImage: { hash: 'archived', load: async () => inputBytes } });
    expect((await readAll((await after.download(resumed.images[0]!.url)).body)).equals(originalBytes)).toBe(true);
  });

  it('refuses a handle that is not a local job', async () => {
    const provider = createLocalProvider();
    const error = await rejection(provider.wait(EDIT, { requestId: 'r1', handle: { statusUrl: 'https://queue.fal.run/x' } }));
    expect(error).toBeInstanceOf(ProviderError);
    const job = await provider.submit(TEXT, { prompt: 'a cat', seed: 1 });
    expect(await rejection(provider.wait(EDIT, job))).toBeInstanceOf(ProviderError);
  });

  it('outputs dropped from memory are recomputed by the next wait', async () => {
    const provider = createLocalProvider({ maxStoredBytes: 1 });
    const image_url = await sceneDataUri();
    const job = await provider.submit(EDIT, { prompt: 'make it red', image_url, seed: 1 });
    const output = await provider.wait(EDIT, job);
    const bytes = await readAll((await provider.download(output.images[0]!.url)).body);
    await runJob(provider, EDIT, { prompt: 'make it blue', image_url, seed: 1 });
    expect(await rejection(provider.download(output.images[0]!.url))).toBeInstanceOf(NotFoundError);
    const again = await provider.wait(EDIT, job);
    expect((await readAll((await provider.download(again.images[0]!.url)).body)).equals(bytes)).toBe(true);
  });
});

describe('images in and out', () => {
  it('reads an http(s) image_url', async () => {
    const png = await sceneImage();
    const server = await imageServer((req, res) => {
      if (req.url === '/scene.png') {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.byteLength });
        res.end(png);
      } else if (req.url === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html></html>');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    const provider = createLocalProvider();
    const fromUrl = await runJob(provider, EDIT, { prompt: 'make it red', image_url: server.url('/scene.png'), seed: 1 });
    const fromBytes = await runJob(provider, EDIT, { prompt: 'make it red', image_url: toDataUri(png, 'image/png'), seed: 1 });
    expect(fromUrl.images[0]!.equals(fromBytes.images[0]!)).toBe(true);

    const html = await provider.submit(EDIT, { prompt: 'blur', image_url: server.url('/page.html'), seed: 1 });
    const notImage = (await rejection(provider.wait(EDIT, html))) as ValidationError;
    expect(notImage).toBeInstanceOf(ValidationError);
    expect(notImage.issues[0]!.field).toBe('image_url');
    const gone = await provider.submit(EDIT, { prompt: 'blur', image_url: server.url('/missing.png'), seed: 1 });
    expect(await rejection(provider.wait(EDIT, gone))).toBeInstanceOf(NotFoundError);
  });

  it('stops reading an http(s) image at the size limit, whatever the server says', async () => {
    const server = await imageServer((_req, res) => {
      // No Content-Length: the limit must be enforced while reading.
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(Buffer.alloc(64 * 1024, 1));
      res.end(Buffer.alloc(64 * 1024, 1));
    });
    const provider = createLocalProvider({ maxInputBytes: 50_000 });
    const job = await provider.submit(EDIT, { prompt: 'blur', image_url: server.url('/big.png'), seed: 1 });
    const error = (await rejection(provider.wait(EDIT, job))) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('larger than the limit of 50000 bytes');
  });

  it('prepareImage passes its own URLs through and holds everything else under a local:// URL named by its sha256', async () => {
    const provider = createLocalProvider();
    const { output } = await runJob(provider, TEXT, { prompt: 'a boat', seed: 1 });
    const png = await sceneImage();
    const load = async () => png;
    expect(await provider.prepareImage({ hash: 'h', contentType: 'image/png', load, url: output.images[0]!.url, urlProvider: 'local' })).toBe(output.images[0]!.url);
    const held = await provider.prepareImage({ hash: 'h', contentType: 'application/octet-stream', load, url: 'local://gone/0.jpeg', urlProvider: 'local' });
    // Typed by its bytes, not by the stored content type.
    expect(held).toBe(`local://input/${createHash('sha256').update(png).digest('hex')}.png`);
    const served = await provider.download(held);
    expect(served.contentType).toBe('image/png');
    expect((await readAll(served.body)).equals(png)).toBe(true);
    // An edit of it needs no bytes in its handle.
    const job = await provider.submit(EDIT, { prompt: 'flip', image_url: held, seed: 1 });
    expect(JSON.stringify(job.handle).length).toBeLessThan(1024);
    const notImage = provider.prepareImage({ hash: 'h', contentType: 'image/png', load: async () => Buffer.from('not an image') });
    expect(await rejection(notImage)).toBeInstanceOf(ValidationError);
  });

  it('download serves its own URLs and data URIs, refusing more than maxBytes and non-images', async () => {
    const provider = createLocalProvider();
    const { output, images } = await runJob(provider, EDIT, { prompt: 'blur', image_url: await sceneDataUri(), seed: 1, output_format: 'png' });
    const url = output.images[0]!.url;
    const download = await provider.download(url);
    expect(download.contentType).toBe('image/png');
    expect((await readAll(download.body)).equals(images[0]!)).toBe(true);
    expect(await rejection(provider.download(url, { maxBytes: 100 }))).toBeInstanceOf(BlobTooLargeError);
    expect(await rejection(provider.download('local://unknown/0.png'))).toBeInstanceOf(NotFoundError);
    expect(await rejection(provider.download('data:image/png;base64,aGVsbG8='))).toBeInstanceOf(IntegrityError);
    const fromDataUri = await provider.download(toDataUri(images[0]!, 'image/png'));
    expect((await readAll(fromDataUri.body)).equals(images[0]!)).toBe(true);
  });
});

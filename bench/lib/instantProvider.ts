import sharp from 'sharp';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { EndpointRegistry, type EndpointSpec } from '../../src/kontext/endpoints.js';
import { KontextEditInput, KontextOutput } from '../../src/kontext/schemas.js';
import type { CallOptions, DownloadedImage, ImageSource, Provider, SubmittedJob, WaitOptions } from '../../src/providers/Provider.js';

export const INSTANT_PROVIDER = 'bench';
export const INSTANT_ENDPOINT = 'bench/instant';
export const INSTANT_IMAGE_BYTES = 1024 * 1024;
// The largest square whose uncompressed PNG fits in 1 MiB less the trailer.
const WIDTH = 590;
const HEIGHT = 590;
const TRAILER_BYTES = 8;

/** The endpoint registry the engine needs to route turns to the instant provider. */
export function instantEndpoints(): EndpointRegistry {
  const spec: EndpointSpec = {
    id: INSTANT_ENDPOINT,
    kind: 'edit',
    provider: INSTANT_PROVIDER,
    title: 'Benchmark provider (answers at once)',
    input: KontextEditInput,
    output: KontextOutput,
    priceMicrosPerImage: 0,
  };
  return new EndpointRegistry().with(spec);
}

/** A noise PNG (incompressible, so it really is ~1 MiB), padded after IEND to exactly 1 MiB minus the trailer. */
export async function oneMebibytePng(): Promise<Buffer> {
  const png = await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  const body = INSTANT_IMAGE_BYTES - TRAILER_BYTES;
  // Cutting it short would hand the engine an image no decoder reads, and measure that failure.
  if (png.byteLength > body) throw new Error(`the ${WIDTH}×${HEIGHT} noise PNG is ${png.byteLength} bytes, over the ${body} it must fit in`);
  return Buffer.concat([png, Buffer.alloc(body - png.byteLength)]);
}

export interface InstantProvider extends Provider {
  /** Submits received, for "0 provider calls" checks. */
  readonly submits: number;
}

/**
 * A real Provider for benchmarks that spends no time of its own: submit and wait answer at
 * once, and every job's output is the same pre-made 1 MiB PNG followed by an 8-byte job
 * number — so each turn archives a new blob (a new hash) without the provider copying a
 * mebibyte per job, and what is measured is the engine: its store writes, chaining and
 * archiving. Image preparation passes URLs through (the engine's part is still exercised).
 */
export function createInstantProvider(image: Buffer): InstantProvider {
  let jobs = 0;
  let submits = 0;
  const outputs = new Map<string, number>();
  const aborted = (options: CallOptions | undefined, what: string) => {
    if (options?.signal?.aborted) throw new CancelledError(`${what} was aborted`);
  };
  return {
    name: INSTANT_PROVIDER,
    get submits() {
      return submits;
    },
    async prepareImage(source: ImageSource, options?: CallOptions): Promise<string> {
      aborted(options, 'prepare');
      return source.url ?? `bench://input/${source.hash}`;
    },
    async submit(_endpointId: string, _input: Record<string, unknown>, options?: CallOptions): Promise<SubmittedJob> {
      aborted(options, 'submit');
      submits++;
      const requestId = `bench-${++jobs}`;
      outputs.set(requestId, jobs);
      return { requestId, handle: { job: jobs } };
    },
    async wait(_endpointId: string, job: SubmittedJob, options?: WaitOptions): Promise<KontextOutput> {
      aborted(options, 'wait');
      const seed = typeof job.handle.job === 'number' ? job.handle.job : 0;
      options?.onProgress?.({ type: 'completed', metrics: undefined });
      return {
        images: [{ url: `bench://${job.requestId}/0.png`, width: WIDTH, height: HEIGHT, content_type: 'image/png' }],
        timings: { inference: 0 },
        seed,
        has_nsfw_concepts: [false],
        prompt: '',
      };
    },
    async cancel(): Promise<void> {},
    async download(url: string, options?: CallOptions): Promise<DownloadedImage> {
      aborted(options, 'download');
      const requestId = /^bench:\/\/([^/]+)\//.exec(url)?.[1] ?? '';
      const trailer = Buffer.alloc(TRAILER_BYTES);
      trailer.writeBigUInt64BE(BigInt(outputs.get(requestId) ?? 0));
      outputs.delete(requestId);
      return {
        contentType: 'image/png',
        body: (async function* () {
          yield image;
          yield trailer;
        })(),
      };
    },
  };
}

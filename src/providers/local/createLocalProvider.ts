import { SHA256_HEX } from '../../blobs/BlobStore.js';
import { DEFAULT_MAX_BLOB_BYTES } from '../../blobs/FileBlobStore.js';
import { CancelledError } from '../../errors/CancelledError.js';
import { KontextError } from '../../errors/KontextError.js';
import { ProviderError } from '../../errors/ProviderError.js';
import { ValidationError, type ValidationIssue } from '../../errors/ValidationError.js';
import type { EndpointSpec } from '../../kontext/endpoints.js';
import { MAX_SEED, type KontextEditInput, type KontextOutput, type KontextTextToImageInput } from '../../kontext/schemas.js';
import { describeIssues } from '../../kontext/validation.js';
import { isDataUri, parseDataUri, toDataUri } from '../../util/dataUri.js';
import { ACCEPTED_IMAGE_TYPES, sniffImageType } from '../../util/imageType.js';
import type { CallOptions, DownloadedImage, ImageSource, LogLine, ProgressEvent, Provider, SubmittedJob, WaitOptions } from '../Provider.js';
import { describeIntent, parseIntents, type Intent } from './intents.js';
import { JobQueue } from './JobQueue.js';
import { LOCAL_URL_SCHEME, OutputStore, heldInputUrl, localImageUrl, sha256Of, type StoredImage } from './OutputStore.js';
import { resolveOptions, type LocalProviderOptions } from './options.js';
import { readImage } from './readImage.js';
import { renderImage, strengthOf, type RenderedImage } from './render.js';
import { canvasSize } from './size.js';
import { sceneSvg } from './textToImage.js';

/**
 * What a local job's `handle` holds: enough to compute the job again in another process (it is
 * deterministic and free, so nothing else is kept). The engine stores it with the turn, so it
 * names the input image rather than carrying it: the image is in the engine's archive already.
 */
export interface LocalJobHandle {
  /** Version of this shape, for rows written by older code. */
  v: 1;
  endpointId: string;
  /** The validated input with defaults applied, the seed filled in, `image_url` as given. */
  input: Record<string, unknown>;
  /**
   * sha256 (hex) of the input image when `image_url` is a `local://` URL. Those live in this
   * process's memory only: a restarted process recomputes the job from the image `wait` is
   * given as `inputImage` (the engine passes the archived one), checked against this hash.
   */
  inputSha256?: string;
}

/** Words every simulated output carries, in the image (EXIF) and in the result object. */
export const SIMULATED_NOTICE = 'SIMULATED by the local provider: an offline stand-in, not a FLUX.1 Kontext image';

const MAX_REMEMBERED_JOBS = 1024;

interface JobState {
  cancelled: boolean;
  abort: AbortController;
  /** Whether the job completed: cancelling it changes nothing from then on. */
  finished?: boolean;
  /**
   * Its result, for a second wait. Not kept when its images are data URIs (`sync_mode`): up to
   * MAX_REMEMBERED_JOBS results of a few MB each is memory without a bound, and the job is
   * recomputed instead, to the same bytes.
   */
  output?: KontextOutput;
}

type LocalEditInput = KontextEditInput & { reference_image_urls?: string[] };
type LocalInput = (LocalEditInput | KontextTextToImageInput) & { seed: number };

/** Where a resumed job may find its input image besides its `image_url`. */
type HandleSource = Pick<LocalJobHandle, 'inputSha256'>;

/**
 * The offline provider: simulates FLUX.1 Kontext with sharp, so sessions run on a laptop with
 * no key and no network. It speaks the same {@link Provider} protocol as fal — validation,
 * candidates, seeds, progress events, cancel, resume — and its images are a deterministic
 * function of (input image, prompt, parameters, seed), with visible edits for the common
 * prompt words (colours, night, day, sketch, winter, blur, sharpen, flip, rotate, "add text
 * 'X'"). Every image is labelled "SIMULATED" in its corner and its EXIF, and every result
 * carries `simulated: true`; the price is 0.
 *
 * Endpoints: `local/kontext-sim` (edit: needs `image_url` — a data URI, an http(s) URL or a
 * `local://` URL it handed out) and `local/kontext-sim/text-to-image`. Outputs get
 * `local://<requestId>/<index>.<ext>` URLs, kept in memory and served by `download`
 * (or data URIs with `sync_mode`).
 *
 * @example
 * const local = createLocalProvider();
 * const job = await local.submit('local/kontext-sim', { prompt: 'make it night', image_url: dataUri });
 * const output = await local.wait('local/kontext-sim', job, { onProgress: console.log });
 * const { body } = await local.download(output.images[0].url);
 */
export function createLocalProvider(options: LocalProviderOptions = {}): Provider {
  const settings = resolveOptions(options);
  const { clock, random, endpoints } = settings;
  const store = new OutputStore(settings.maxStoredBytes);
  const queue = new JobQueue(settings.concurrency);
  const jobs = new Map<string, JobState>();

  const jobState = (requestId: string): JobState => {
    let state = jobs.get(requestId);
    if (!state) {
      state = { cancelled: false, abort: new AbortController() };
      jobs.set(requestId, state);
      // Forgetting a job is safe (it is recomputed from its handle); this bounds the memory.
      for (const oldest of jobs.keys()) {
        if (jobs.size <= MAX_REMEMBERED_JOBS) break;
        jobs.delete(oldest);
      }
    }
    return state;
  };

  const endpointOf = (endpointId: string): EndpointSpec => {
    const spec = endpoints.get(endpointId);
    if (spec.provider !== 'local') {
      throw new ValidationError([{ field: 'endpoint', message: `'${endpointId}' is run by the ${spec.provider} provider, not local` }]);
    }
    return spec;
  };

  const stillHeld = (output: KontextOutput) => output.images.every((image) => isDataUri(image.url) || store.has(image.url));

  async function run(spec: EndpointSpec, job: SubmittedJob, input: LocalInput, handleSource: HandleSource, state: JobState, options: WaitOptions): Promise<KontextOutput> {
    const emit = (event: ProgressEvent) => report(options.onProgress, event);
    const log = (...messages: string[]) => emit({ type: 'running', logs: messages.map((message): LogLine => ({ message, level: 'INFO', timestamp: new Date(clock.now()).toISOString() })) });
    const signal = options.signal ? AbortSignal.any([state.abort.signal, options.signal]) : state.abort.signal;

    let release: (() => void) | undefined;
    try {
      release = await queue.enter((position) => emit({ type: 'queued', position }), signal);
      const started = clock.now();
      const seeds = Array.from({ length: input.num_images }, (_, i) => (input.seed + i) % (MAX_SEED + 1));
      const isEdit = spec.kind === 'edit';
      log(`${spec.id}: simulating offline (${seeds.length === 1 ? `seed ${input.seed}` : `seeds ${seeds.join(', ')}`}); not a FLUX.1 Kontext image`);

      let source: Buffer | undefined;
      const references: Buffer[] = [];
      if (isEdit) {
        const image = await inputImageOf(job, (input as KontextEditInput).image_url, handleSource, options, signal);
        source = image.bytes;
        log(`loaded input image (${image.contentType}, ${image.bytes.byteLength} bytes)`);
        for (const url of (input as LocalEditInput).reference_image_urls ?? []) references.push((await referenceImageOf(job, url, options, signal)).bytes);
        if (references.length > 0) log(`loaded ${references.length} reference image${references.length === 1 ? '' : 's'}`);
      }

      // Turning or mirroring a picture made from nothing says nothing; those words describe the scene.
      const intents = parseIntents(input.prompt).filter((i) => isEdit || (i.kind !== 'flip' && i.kind !== 'rotate'));
      log(...(intents.length > 0 ? intents.map((i) => `applying: ${describeIntent(i)}`) : ['applying: seeded variation and caption (no edit recognised in the prompt)']));
      if (settings.delayMs > 0) await clock.sleep(settings.delayMs, signal);

      signal.throwIfAborted();
      // Candidates render side by side: each sharp pipeline runs on one thread of libuv's pool,
      // so four candidates use the machine's cores instead of taking four times as long.
      const rendered = await Promise.all(seeds.map((seed) => renderCandidate(spec, input, intents, seed, source, references)));
      signal.throwIfAborted();
      const images: KontextOutput['images'] = rendered.map((image, index) => {
        const url = input.sync_mode ? toDataUri(image.bytes, image.contentType) : localImageUrl(job.requestId, index, input.output_format);
        if (!input.sync_mode) store.set(url, { contentType: image.contentType, bytes: image.bytes });
        return { url, width: image.width, height: image.height, content_type: image.contentType };
      });

      const seconds = (clock.now() - started) / 1000;
      log(`rendered ${images.length} image${images.length === 1 ? '' : 's'} in ${seconds.toFixed(3)} s`);
      const result = spec.output.safeParse({
        images,
        timings: { inference: seconds },
        seed: input.seed,
        has_nsfw_concepts: images.map(() => false),
        prompt: input.prompt,
        simulated: true,
        provider: 'local',
        endpoint_id: spec.id,
        notice: SIMULATED_NOTICE,
      });
      if (!result.success) throw new ProviderError(`the local provider made a malformed result for ${spec.id}`, { detail: describeIssues(result.error.issues, undefined), requestId: job.requestId });
      const output = result.data as KontextOutput;
      state.finished = true;
      if (!input.sync_mode) state.output = output;
      emit({ type: 'completed', metrics: { inference_time: seconds } });
      return output;
    } catch (error) {
      if (!signal.aborted) throw error;
      // Like fal, an aborted wait cancels the job itself, so nothing keeps working for nobody.
      state.cancelled = true;
      if (error instanceof CancelledError) throw error;
      throw new CancelledError(`local job ${job.requestId} was cancelled`, { requestId: job.requestId, cause: error });
    } finally {
      release?.();
    }
  }

  function renderCandidate(spec: EndpointSpec, input: LocalInput, intents: readonly Intent[], seed: number, source: Buffer | undefined, references: readonly Buffer[]): Promise<RenderedImage> {
    const common = {
      intents,
      seed,
      prompt: input.prompt,
      outputFormat: input.output_format,
      maxSide: settings.maxSide,
      strength: strengthOf(input.guidance_scale),
      label: `SIMULATED · ${spec.id} · seed ${seed}`,
      notice: `${SIMULATED_NOTICE.replace(':', ` (${spec.id}):`)}; seed ${seed}`,
      maxInputPixels: settings.maxInputPixels,
    };
    if (!source) {
      const size = canvasSize((input as KontextTextToImageInput).aspect_ratio, settings.maxSide);
      return renderImage({ ...common, source: sceneSvg(input.prompt, seed, size), caption: true });
    }
    const snapTo = settings.snapToPreferred ? spec.preferredResolutions : undefined;
    return renderImage({ ...common, source, references, aspectRatio: input.aspect_ratio, snapTo, caption: intents.length === 0 }).catch((error: unknown) => {
      if (error instanceof KontextError) throw error;
      // The header read fine but the pixels did not (a truncated or corrupt file): the input's fault.
      throw new ValidationError([{ field: 'image_url', message: `could not be decoded (${(error as Error).message.trim()})` }]);
    });
  }

  /** Checks a handle read back from storage, which may be old, damaged or someone else's. */
  function readHandle(spec: EndpointSpec, job: SubmittedJob): { input: LocalInput; source: HandleSource } {
    const handle = job.handle as Partial<LocalJobHandle> | undefined;
    const broken = (why: string, detail?: unknown) =>
      new ProviderError(`job ${job.requestId} cannot be resumed by the local provider: ${why}`, { requestId: job.requestId, detail });
    if (!handle || handle.v !== 1 || typeof handle.input !== 'object' || handle.input === null) throw broken('its handle is not a local job handle');
    if (handle.endpointId !== spec.id) throw broken(`it was submitted to ${String(handle.endpointId)}, not ${spec.id}`);
    const parsed = spec.input.safeParse(handle.input);
    if (!parsed.success) throw broken('its stored input is invalid', describeIssues(parsed.error.issues, handle.input));
    const input = parsed.data as LocalInput;
    if (input.seed === undefined) throw broken('its stored input has no seed');
    if (handle.inputSha256 !== undefined && !(typeof handle.inputSha256 === 'string' && SHA256_HEX.test(handle.inputSha256))) throw broken('its stored input image hash is not a sha256');
    return { input, source: { inputSha256: handle.inputSha256 } };
  }

  /**
   * The input image of an edit job: behind its `image_url` while this process holds or can
   * fetch that, else (a `local://` URL after a restart) the image the caller passed to `wait`,
   * if it is the one the job was submitted with.
   */
  async function inputImageOf(job: SubmittedJob, imageUrl: string, source: HandleSource, options: WaitOptions, signal: AbortSignal): Promise<StoredImage> {
    const read = (url: string) => readImage(url, { store, fetch: settings.fetch, maxBytes: settings.maxInputBytes, timeoutMs: settings.fetchTimeoutMs, signal, purpose: 'input' });
    if (!imageUrl.startsWith(`${LOCAL_URL_SCHEME}//`) || store.has(imageUrl)) return read(imageUrl);
    if (source.inputSha256 !== undefined && options.inputImage) {
      const bytes = await options.inputImage.load();
      const contentType = sniffImageType(bytes.subarray(0, 16));
      const image: StoredImage = { contentType: contentType ?? 'application/octet-stream', bytes };
      if (sha256Of(image) !== source.inputSha256) {
        throw new ProviderError(`job ${job.requestId} cannot be resumed: the image given to resume it (${options.inputImage.hash}) is not the one it was submitted with (sha256 ${source.inputSha256})`, { requestId: job.requestId });
      }
      if (!contentType) throw new ProviderError(`job ${job.requestId} cannot be resumed: the image given to resume it is not an image`, { requestId: job.requestId });
      // Held again under its URL, so the next turn that chains from it finds it too.
      store.set(imageUrl, image);
      return image;
    }
    throw new ProviderError(
      `job ${job.requestId} cannot be resumed by this process: its input image ${imageUrl} was held in the memory of the process that submitted it; pass that image to wait() as \`inputImage\` (the engine does, from its archive)`,
      { requestId: job.requestId },
    );
  }

  /**
   * A reference image of an edit job: behind its URL while this process holds or can fetch it,
   * else (a `local://input/<sha256>` URL after a restart) the archived reference the caller
   * passed to `wait` with that hash — the URL names the bytes, so nothing else is needed.
   */
  async function referenceImageOf(job: SubmittedJob, url: string, options: WaitOptions, signal: AbortSignal): Promise<StoredImage> {
    if (!url.startsWith(`${LOCAL_URL_SCHEME}//`) || store.has(url)) {
      return readImage(url, { store, fetch: settings.fetch, maxBytes: settings.maxInputBytes, timeoutMs: settings.fetchTimeoutMs, signal, purpose: 'input' });
    }
    const named = /^local:\/\/input\/([0-9a-f]{64})\./.exec(url)?.[1];
    const archived = named === undefined ? undefined : options.referenceImages?.find((r) => r.hash === named);
    if (!archived) {
      throw new ProviderError(`job ${job.requestId} cannot be resumed by this process: its reference image ${url} was held in the memory of the process that submitted it; pass it to wait() in \`referenceImages\` (the engine does, from its archive)`, { requestId: job.requestId });
    }
    const bytes = await archived.load();
    const image: StoredImage = { contentType: sniffImageType(bytes.subarray(0, 16)) ?? 'application/octet-stream', bytes };
    if (sha256Of(image) !== named) throw new ProviderError(`job ${job.requestId} cannot be resumed: the reference given for ${url} has other bytes`, { requestId: job.requestId });
    store.set(url, image);
    return image;
  }

  return {
    name: 'local',

    async prepareImage(image: ImageSource, options: CallOptions = {}): Promise<string> {
      if (options.signal?.aborted) throw new CancelledError('preparing the image was aborted', { cause: options.signal.reason });
      if (image.url?.startsWith(`${LOCAL_URL_SCHEME}//`) && (image.urlProvider === undefined || image.urlProvider === 'local') && store.has(image.url)) {
        return image.url;
      }
      const bytes = await image.load();
      if (bytes.byteLength > settings.maxInputBytes) {
        throw new ValidationError([{ field: 'image', message: `image ${image.hash} is larger than the limit of ${settings.maxInputBytes} bytes` }]);
      }
      // The bytes decide the type: a stored content type can be wrong.
      const contentType = sniffImageType(bytes.subarray(0, 16));
      if (!contentType) throw new ValidationError([{ field: 'image', message: `image ${image.hash} is not an image Kontext reads; allowed: ${ACCEPTED_IMAGE_TYPES.join(', ')}` }]);
      // Held under a local:// URL instead of sent back as a data URI: the job's handle, which
      // the engine stores with the turn, then names the image (by hash) instead of carrying
      // it, and a restarted process is given the bytes from the archive (`inputImage`).
      const held: StoredImage = { contentType, bytes };
      const url = heldInputUrl(sha256Of(held), contentType);
      store.set(url, held);
      return url;
    },

    async submit(endpointId: string, input: Record<string, unknown>, options: CallOptions = {}): Promise<SubmittedJob> {
      if (options.signal?.aborted) throw new CancelledError(`submit to ${endpointId} was aborted`, { cause: options.signal.reason });
      const spec = endpointOf(endpointId);
      const result = spec.input.safeParse(input);
      const issues: ValidationIssue[] = result.success ? [] : describeIssues(result.error.issues, input);
      const imageUrl = spec.kind === 'edit' ? input?.image_url : undefined;
      let inputSha256: string | undefined;
      if (typeof imageUrl === 'string' && imageUrl.length > 0) {
        const problem = imageUrlProblem(imageUrl, store, settings.maxInputBytes);
        if (problem) issues.push({ field: 'image_url', message: problem });
        else if (imageUrl.startsWith(`${LOCAL_URL_SCHEME}//`)) inputSha256 = sha256Of(store.get(imageUrl)!);
      }
      const referenceUrls = spec.kind === 'edit' && Array.isArray(input?.reference_image_urls) ? (input.reference_image_urls as unknown[]) : [];
      referenceUrls.forEach((url, i) => {
        const problem = typeof url === 'string' && url.length > 0 ? imageUrlProblem(url, store, settings.maxInputBytes) : undefined;
        if (problem) issues.push({ field: `reference_image_urls.${i}`, message: problem });
      });
      if (!result.success || issues.length > 0) throw new ValidationError(issues, `input for ${endpointId}`);

      const parsed = result.data as Record<string, unknown> & { seed?: number };
      const seed = parsed.seed ?? Math.min(MAX_SEED, Math.floor(random() * (MAX_SEED + 1)));
      const handle: LocalJobHandle = { v: 1, endpointId, input: { ...parsed, seed }, ...(inputSha256 === undefined ? {} : { inputSha256 }) };
      const requestId = settings.newId();
      jobState(requestId);
      return { requestId, handle: handle as unknown as Record<string, unknown> };
    },

    async wait(endpointId: string, job: SubmittedJob, options: WaitOptions = {}): Promise<KontextOutput> {
      const spec = endpointOf(endpointId);
      const { input, source } = readHandle(spec, job);
      const state = jobState(job.requestId);
      if (state.cancelled) throw new CancelledError(`local job ${job.requestId} was cancelled`, { requestId: job.requestId });
      if (state.output && stillHeld(state.output)) {
        report(options.onProgress, { type: 'completed', metrics: { inference_time: state.output.timings.inference } });
        return state.output;
      }
      if (options.signal?.aborted) {
        state.cancelled = true;
        throw new CancelledError(`waiting for ${job.requestId} was aborted; the local job was cancelled`, { requestId: job.requestId, cause: options.signal.reason });
      }
      return run(spec, job, input, source, state, options);
    },

    async cancel(endpointId: string, job: SubmittedJob): Promise<void> {
      endpointOf(endpointId);
      const state = jobState(job.requestId);
      // A finished job keeps its result, as on fal, where cancelling a completed request changes nothing.
      if (state.finished) return;
      state.cancelled = true;
      state.abort.abort(new CancelledError(`local job ${job.requestId} was cancelled`, { requestId: job.requestId }));
    },

    async download(url: string, options: CallOptions & { maxBytes?: number } = {}): Promise<DownloadedImage> {
      const image = await readImage(url, {
        store,
        fetch: settings.fetch,
        maxBytes: options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES,
        timeoutMs: settings.fetchTimeoutMs,
        signal: options.signal,
        purpose: 'download',
      });
      return {
        contentType: image.contentType,
        body: (async function* () {
          yield image.bytes;
        })(),
      };
    },
  };
}

/** A listener that throws must not break the job: progress is advisory, as with fal. */
function report(onProgress: WaitOptions['onProgress'], event: ProgressEvent): void {
  try {
    onProgress?.(event);
  } catch {
    // ignored on purpose
  }
}

/**
 * Why `image_url` cannot be used, checked at submit so a bad request never becomes a job:
 * the scheme, a data URI that is not an image, a `local://` URL this process no longer holds.
 * An http(s) URL is only fetched when the job runs, as fal does.
 */
function imageUrlProblem(url: string, store: OutputStore, maxBytes: number): string | undefined {
  if (isDataUri(url)) {
    if (Math.floor((url.length * 3) / 4) > maxBytes + 1024) return `is larger than the limit of ${maxBytes} bytes`;
    let bytes: Buffer;
    try {
      bytes = parseDataUri(url).bytes;
    } catch {
      return 'is not a valid data URI (expected data:<type>;base64,<data>)';
    }
    if (bytes.byteLength > maxBytes) return `is larger than the limit of ${maxBytes} bytes`;
    if (!sniffImageType(bytes.subarray(0, 16))) return `the data URI is not an image; accepted: ${ACCEPTED_IMAGE_TYPES.join(', ')}`;
    return undefined;
  }
  if (url.startsWith(`${LOCAL_URL_SCHEME}//`)) {
    return store.has(url) ? undefined : `${url} is no longer held by this process (local images live in memory); send the image bytes as a data URI`;
  }
  if (/^https?:\/\/[^/]/i.test(url)) return undefined;
  return `${JSON.stringify(url.slice(0, 60))} is not an http(s) URL, a data URI or a local:// URL`;
}

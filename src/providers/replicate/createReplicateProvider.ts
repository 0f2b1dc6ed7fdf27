import { z } from 'zod';
import { jobDeadline } from '../jobDeadline.js';
import { AmbiguousSubmitError } from '../../errors/AmbiguousSubmitError.js';
import { CancelledError } from '../../errors/CancelledError.js';
import { ExpiredJobError } from '../../errors/ExpiredJobError.js';
import { ProviderError } from '../../errors/ProviderError.js';
import { TimeoutError } from '../../errors/TimeoutError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import type { EndpointSpec } from '../../kontext/endpoints.js';
import type { KontextOutput } from '../../kontext/schemas.js';
import { describeIssues, parseOrThrow } from '../../kontext/validation.js';
import { toDataUri } from '../../util/dataUri.js';
import { downloadImage } from '../fal/download.js';
import { resolveFalOptions, type HttpClientOptions } from '../fal/options.js';
import { withServerErrors } from '../fal/retry.js';
import { FalHttp, MAX_JSON_BYTES, readJson, readText, type ProviderIdentity } from '../fal/transport.js';
import type { Provider, SubmittedJob, WaitOptions } from '../Provider.js';
import { moderationOf } from './moderation.js';

export const DEFAULT_REPLICATE_URL = 'https://api.replicate.com/v1';

export interface ReplicateClientOptions extends HttpClientOptions {
  /** The API token, sent as `Authorization: Bearer …`. Default `env.REPLICATE_API_TOKEN`. */
  key?: string;
  /** API base. Default `env.REPLICATE_API_URL` or `https://api.replicate.com/v1`. */
  baseUrl?: string;
  /** The longest `wait` lasts; also sent as `Cancel-After`, so Replicate stops (and stops billing) the job too. Default 600 000 ms. */
  jobTimeoutMs?: number;
  /** Seconds of `Prefer: wait=N` on the submit: Replicate holds the answer until done or N s. Default 10; 0 sends none. */
  preferWaitSeconds?: number;
}

const IDENTITY: ProviderIdentity = { label: 'Replicate', keyEnv: 'REPLICATE_API_TOKEN', authHeaders: (key) => ({ authorization: `Bearer ${key}` }) };

const Prediction = z
  .object({
    id: z.string().min(1),
    status: z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted']),
    output: z.union([z.string(), z.array(z.string()), z.null()]).optional(),
    error: z.unknown().optional(),
    urls: z.object({ get: z.url(), cancel: z.url() }).loose().optional(),
    input: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
type Prediction = z.output<typeof Prediction>;

const ReplicateHandle = z.object({ getUrl: z.url(), cancelUrl: z.url(), seed: z.number().int().optional(), webhook: z.boolean().optional() });

export interface ReplicateProvider extends Provider {
  readonly name: 'replicate';
  /**
   * The account's webhook signing secret (`whsec_…`), from `GET <base>/webhooks/default/secret`,
   * fetched once and kept in memory only.
   */
  webhookSecret(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The Replicate provider: BFL's models through Replicate's predictions API. A submit is
 * `POST <base>/models/<owner>/<name>/predictions` with `Prefer: wait=N` (Replicate may answer
 * with the finished prediction) and `Cancel-After` (Replicate gives up the job itself at our
 * deadline, so a crashed process does not leave it billing). The job is then followed on the
 * `urls.get` it returned and cancelled on `urls.cancel` — paths kept as given, the key sent
 * only to the configured base's origin. Outputs are deleted after an hour, so the engine
 * archives them as soon as `wait` returns.
 *
 * @example
 * const replicate = createReplicateProvider({ key: process.env.REPLICATE_API_TOKEN });
 * const job = await replicate.submit('replicate/black-forest-labs/flux-kontext-pro', { prompt: 'make it winter', image_url });
 * const output = await replicate.wait('replicate/black-forest-labs/flux-kontext-pro', job);
 */
export function createReplicateProvider(options: ReplicateClientOptions = {}): ReplicateProvider {
  const env = options.env ?? process.env;
  const baseUrl = (options.baseUrl ?? env.REPLICATE_API_URL ?? DEFAULT_REPLICATE_URL).replace(/\/+$/, '');
  const resolved = resolveFalOptions({ ...options, env: {}, queueUrl: baseUrl, statusMode: 'poll' });
  const rawKey = options.key ?? env.REPLICATE_API_TOKEN;
  const http = new FalHttp(resolved, rawKey === undefined || rawKey.trim() === '' ? undefined : rawKey.trim(), IDENTITY);
  const preferWait = options.preferWaitSeconds ?? 10;
  if (!Number.isInteger(preferWait) || preferWait < 0 || preferWait > 60) throw new ValidationError([{ field: 'preferWaitSeconds', message: `${preferWait} must be a whole number of seconds from 0 to 60` }]);
  const statusRetry = withServerErrors(resolved.readRetry);
  const base = new URL(resolved.queueUrl);
  let closing: Promise<void> | undefined;

  const specOf = (endpointId: string): EndpointSpec => {
    const spec = resolved.endpoints.get(endpointId);
    if (spec.provider !== 'replicate') throw new ValidationError([{ field: 'endpoint', message: `'${endpointId}' is run by the ${spec.provider} provider, not replicate` }]);
    return spec;
  };
  /** A URL Replicate returned, with its path kept, but only ever on the configured origin (where the key may go). */
  const target = (returned: string) => {
    const url = new URL(returned);
    return url.origin === base.origin ? url.href : `${base.origin}${url.pathname}${url.search}`;
  };
  const handleOf = (job: SubmittedJob) => {
    const parsed = ReplicateHandle.safeParse(job.handle);
    if (!parsed.success) throw new ProviderError(`the stored Replicate handle of ${job.requestId} is not usable`, { requestId: job.requestId, detail: describeIssues(parsed.error.issues, job.handle) });
    return parsed.data;
  };
  const parsePrediction = (body: unknown, what: string): Prediction => {
    const parsed = Prediction.safeParse(body);
    if (!parsed.success) throw new ProviderError(`Replicate sent a malformed prediction (${what})`, { detail: describeIssues(parsed.error.issues, body) });
    return parsed.data;
  };

  const outputOf = (prediction: Prediction, seed: number | undefined): KontextOutput => {
    const urls = typeof prediction.output === 'string' ? [prediction.output] : (prediction.output ?? []);
    if (urls.length === 0) throw new ProviderError(`Replicate reported ${prediction.id} succeeded without an image`, { requestId: prediction.id });
    const inputSeed = typeof prediction.input?.seed === 'number' ? prediction.input.seed : undefined;
    return { images: urls.map((url) => ({ url })), timings: {}, seed: inputSeed ?? seed ?? 0, has_nsfw_concepts: urls.map(() => false), prompt: typeof prediction.input?.prompt === 'string' ? prediction.input.prompt : '' };
  };

  async function get(job: SubmittedJob, getUrl: string, signal: AbortSignal): Promise<Prediction | 'gone'> {
    const operation = `status of ${job.requestId}`;
    return http.send({ operation, method: 'GET', url: target(getUrl), headers: { accept: 'application/json' }, auth: true, policy: statusRetry, signal, requestId: job.requestId, accept: [404] }, async (reply) => {
      if (reply.status === 404) {
        await reply.body.dump();
        return 'gone' as const;
      }
      return parsePrediction(http.redact(await readJson(reply.body, operation)), operation);
    });
  }

  async function follow(job: SubmittedJob, signal: AbortSignal, onProgress: WaitOptions['onProgress'], wakeUp: WaitOptions['wakeUp']): Promise<KontextOutput> {
    const handle = handleOf(job);
    let running = false;
    // With a webhook coming, no GET until it comes (or the fallback deadline passes); the GET
    // after it is the fetch of the result: the webhook's own copy of the output is not trusted.
    if (handle.webhook === true && wakeUp) await wakeUp(signal);
    for (;;) {
      const prediction = await get(job, handle.getUrl, signal);
      if (prediction === 'gone') throw new ExpiredJobError(job.requestId, `Replicate no longer knows prediction ${job.requestId}`);
      if (prediction.status === 'succeeded') {
        onProgress?.({ type: 'completed', metrics: undefined });
        return outputOf(prediction, handle.seed);
      }
      if (prediction.status === 'failed') throw moderationOf(job.requestId, prediction.error) ?? new ProviderError(`Replicate reports prediction ${job.requestId} failed`, { requestId: job.requestId, detail: prediction.error });
      if (prediction.status === 'canceled' || prediction.status === 'aborted') throw new CancelledError(`prediction ${job.requestId} was ${prediction.status} on Replicate`, { requestId: job.requestId });
      if (prediction.status === 'processing' && !running) {
        running = true;
        onProgress?.({ type: 'running', logs: [] });
      }
      await resolved.clock.sleep(resolved.pollIntervalMs, signal);
    }
  }

  let secret: Promise<string> | undefined;
  const fetchSecret = async (): Promise<string> => {
    const operation = 'read of the webhook signing secret';
    const { body } = await http.json({ operation, method: 'GET', url: `${resolved.queueUrl}/webhooks/default/secret`, headers: { accept: 'application/json' }, auth: true, policy: resolved.readRetry });
    const key = (body as { key?: unknown } | null)?.key;
    if (typeof key !== 'string' || !key.startsWith('whsec_')) throw new ProviderError(`Replicate's answer to the ${operation} holds no whsec_ key`);
    return key;
  };

  const provider: ReplicateProvider = {
    name: 'replicate',
    webhookSecret() {
      secret ??= fetchSecret().catch((error: unknown) => {
        secret = undefined;
        throw error;
      });
      return secret;
    },
    async prepareImage(image) {
      return toDataUri(await image.load(), image.contentType);
    },

    async submit(endpointId, input, callOptions = {}) {
      const spec = specOf(endpointId);
      const valid = parseOrThrow(spec.input, input, `input for ${endpointId}`) as Record<string, unknown>;
      const model = spec.providerModel!;
      const webhook = callOptions.webhook;
      // Only the end is of use: the wait is woken by it and then reads the prediction itself.
      const body = { input: toReplicateInput(model, valid), ...(webhook ? { webhook: webhook.url, webhook_events_filter: ['completed'] } : {}) };
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'cancel-after': `${Math.ceil(resolved.jobTimeoutMs / 1000)}s` };
      if (preferWait > 0) headers.prefer = `wait=${preferWait}`;
      const operation = `submit to ${endpointId}`;
      const text = await http.send(
        { operation, method: 'POST', url: `${resolved.queueUrl}/models/${model}/predictions`, headers, body: JSON.stringify(body), auth: true, policy: resolved.submitRetry, signal: callOptions.signal, endpointId, headersTimeoutMs: resolved.responseTimeoutMs + preferWait * 1000 },
        (reply) => readText(reply.body, MAX_JSON_BYTES, operation),
      );
      let prediction: Prediction;
      try {
        prediction = parsePrediction(http.redact(JSON.parse(text)), operation);
        if (!prediction.urls) throw new Error('no urls');
      } catch (error) {
        throw new AmbiguousSubmitError(endpointId, { cause: new ProviderError(`${operation}: Replicate accepted but sent no prediction id and URLs`, { detail: http.redact(text.slice(0, 200)), cause: error }) });
      }
      const seed = typeof valid.seed === 'number' ? valid.seed : undefined;
      // A prediction Prefer: wait saw finish needs no webhook: the wait reads it at once.
      const awaitsWebhook = webhook !== undefined && (prediction.status === 'starting' || prediction.status === 'processing');
      return { requestId: prediction.id, handle: { getUrl: prediction.urls.get, cancelUrl: prediction.urls.cancel, ...(seed === undefined ? {} : { seed }), ...(awaitsWebhook ? { webhook: true } : {}) } };
    },

    async wait(endpointId, job, waitOptions = {}) {
      specOf(endpointId);
      const stop = jobDeadline(waitOptions.signal, resolved.jobTimeoutMs);
      try {
        return await follow(job, stop.signal, waitOptions.onProgress, waitOptions.wakeUp);
      } catch (error) {
        if (!stop.signal.aborted) throw error;
        const cancelFailure = await provider.cancel(endpointId, job, { signal: AbortSignal.timeout(resolved.responseTimeoutMs) }).then(() => undefined, (failure: unknown) => failure);
        if (waitOptions.signal?.aborted) throw new CancelledError(`waiting for ${job.requestId} was aborted; ${cancelFailure === undefined ? 'it was cancelled on Replicate' : 'cancelling it on Replicate failed'}`, { requestId: job.requestId, cause: cancelFailure ?? waitOptions.signal.reason });
        throw new TimeoutError('job', resolved.jobTimeoutMs, { requestId: job.requestId, cause: cancelFailure ?? error });
      } finally {
        stop.clear();
      }
    },

    async cancel(_endpointId, job, callOptions = {}) {
      const { cancelUrl } = handleOf(job);
      await http.send({ operation: `cancel of ${job.requestId}`, method: 'POST', url: target(cancelUrl), headers: { accept: 'application/json' }, auth: true, policy: resolved.readRetry, signal: callOptions.signal, requestId: job.requestId }, async (reply) => {
        await reply.body.dump();
      });
    },

    download: (url, downloadOptions) => downloadImage(http, url, { ...downloadOptions }),

    close() {
      closing ??= resolved.ownsDispatcher ? resolved.dispatcher.close() : Promise.resolve();
      return closing;
    },
  };
  return provider;
}

/**
 * The engine's request as the model's input: Kontext takes one `input_image`, FLUX.2 a list
 * `input_images` (the chained image, then the references); `safety_tolerance` is a number; fields Replicate does not take stay behind.
 */
export function toReplicateInput(model: string, input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { prompt: input.prompt };
  if (typeof input.image_url === 'string') {
    const references = Array.isArray(input.reference_image_urls) ? (input.reference_image_urls as string[]) : [];
    if (model.includes('flux-2')) out.input_images = [input.image_url, ...references];
    else out.input_image = input.image_url;
  }
  for (const field of ['seed', 'aspect_ratio', 'output_format', 'width', 'height', 'steps'] as const) if (input[field] !== undefined) out[field] = input[field];
  if (input.enhance_prompt !== undefined) out.prompt_upsampling = input.enhance_prompt;
  if (input.safety_tolerance !== undefined) out.safety_tolerance = Number(input.safety_tolerance);
  if (input.steps !== undefined && input.guidance_scale !== undefined) out.guidance = input.guidance_scale;
  return out;
}

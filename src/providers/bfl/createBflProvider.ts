import { randomInt } from 'node:crypto';
import { jobDeadline } from '../jobDeadline.js';
import { AmbiguousSubmitError } from '../../errors/AmbiguousSubmitError.js';
import { CancelledError } from '../../errors/CancelledError.js';
import { ExpiredJobError } from '../../errors/ExpiredJobError.js';
import { ModeratedError } from '../../errors/ModeratedError.js';
import { ProviderError } from '../../errors/ProviderError.js';
import { TimeoutError } from '../../errors/TimeoutError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import { BFL_MAX_IN_FLIGHT } from '../../kontext/bflEndpoints.js';
import type { EndpointSpec } from '../../kontext/endpoints.js';
import type { KontextOutput } from '../../kontext/schemas.js';
import { describeIssues, parseOrThrow } from '../../kontext/validation.js';
import { isDataUri, parseDataUri, toDataUri } from '../../util/dataUri.js';
import { downloadImage } from '../fal/download.js';
import { withServerErrors } from '../fal/retry.js';
import { FalHttp, MAX_JSON_BYTES, readJson, readText, type ProviderIdentity } from '../fal/transport.js';
import type { Provider, SubmittedJob, WaitOptions } from '../Provider.js';
import { InFlightLimiter } from './InFlightLimiter.js';
import { resolveBflKey, resolveBflOptions, type BflClientOptions, type ResolvedBflOptions } from './options.js';
import { BFL_STATUS, BflHandle, BflPollAnswer, BflSubmitAnswer } from './protocol.js';

const BFL_IDENTITY: ProviderIdentity = { label: 'BFL', keyEnv: 'BFL_API_KEY', authHeaders: (key) => ({ 'x-key': key }) };
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;
/** Seeds the provider picks when none was asked for, so every turn's seed is known and replayable. */
const MAX_PICKED_SEED = 2 ** 31 - 1;

/** The BFL provider: the engine's Provider, plus how many of its jobs are in flight. */
export interface BflProvider extends Provider {
  readonly name: 'bfl';
  readonly options: ResolvedBflOptions;
  /** Jobs this provider holds a slot for: all, or of one model (`flux-kontext-max`). */
  inFlight(model?: string): number;
  close(): Promise<void>;
}

/**
 * Creates the Black Forest Labs provider (api.bfl.ai). A submit is `POST <base>/v1/<model>`
 * with the key in `x-key`; BFL answers `{id, polling_url}` and the job is followed by polling
 * that URL exactly as given: it may name a regional host (`api.eu.bfl.ai`), and a rebuilt URL
 * would ask the wrong region. The key goes only to the base's origin, the `pollOrigins`
 * listed, and (with the default base) https hosts under bfl.ai.
 *
 * Jobs hold a slot from submit to the end of `wait`: 24 in all, 6 for Kontext [max], as BFL
 * limits an account. BFL has no cancel: `cancel` sends nothing, and a job stopped waiting for
 * may still finish and bill. Result URLs expire after about ten minutes, so the engine
 * archives outputs as soon as `wait` returns.
 *
 * `SubmittedJob.handle` is `{ pollingUrl, model, seed }` (and `webhook: true` when BFL was given
 * a `webhook_url`) — never the key, nor the webhook secret.
 *
 * @example
 * const bfl = createBflProvider({ key: process.env.BFL_API_KEY });
 * const job = await bfl.submit('bfl/flux-kontext-pro', { prompt: 'make it winter', image_url });
 * const output = await bfl.wait('bfl/flux-kontext-pro', job);
 * await bfl.close();
 */
export function createBflProvider(options: BflClientOptions = {}): BflProvider {
  const resolved = resolveBflOptions(options);
  const http = new FalHttp(resolved, resolveBflKey(options), BFL_IDENTITY);
  const limiter = new InFlightLimiter(BFL_MAX_IN_FLIGHT);
  /** Slots taken by a submit, handed on to the wait of the same job. */
  const held = new Map<string, () => void>();
  const statusRetry = withServerErrors(resolved.readRetry);
  let closing: Promise<void> | undefined;

  const specOf = (endpointId: string): EndpointSpec => {
    const spec = resolved.endpoints.get(endpointId);
    if (spec.provider !== 'bfl') throw new ValidationError([{ field: 'endpoint', message: `'${endpointId}' is run by the ${spec.provider} provider, not bfl` }]);
    return spec;
  };
  const modelOf = (spec: EndpointSpec) => spec.providerModel ?? spec.id.replace(/^bfl\//, '').replace(/\/text-to-image$/, '');

  const trusted = (url: URL): boolean =>
    resolved.pollOrigins.includes(url.origin) || (resolved.trustBflHosts && url.protocol === 'https:' && (url.hostname === 'bfl.ai' || url.hostname.endsWith('.bfl.ai')));

  const handleOf = (job: SubmittedJob): BflHandle => {
    const parsed = BflHandle.safeParse(job.handle);
    if (!parsed.success) throw new ProviderError(`the stored BFL handle of ${job.requestId} is not usable`, { requestId: job.requestId, detail: describeIssues(parsed.error.issues, job.handle) });
    return parsed.data;
  };

  async function poll(job: SubmittedJob, handle: BflHandle, signal: AbortSignal): Promise<BflPollAnswer | 'gone'> {
    const url = new URL(handle.pollingUrl);
    if (!trusted(url)) {
      throw new ProviderError(`BFL's polling URL for ${job.requestId} is on ${url.origin}, which is not a trusted BFL host; the key is not sent there (list it in pollOrigins)`, { requestId: job.requestId });
    }
    const operation = `poll of ${job.requestId} (${handle.model})`;
    return http.send(
      { operation, method: 'GET', url: url.href, headers: { accept: 'application/json' }, auth: true, policy: statusRetry, signal, requestId: job.requestId, accept: [404] },
      async (reply) => {
        if (reply.status === 404) {
          await reply.body.dump();
          return 'gone' as const;
        }
        const body = http.redact(await readJson(reply.body, operation));
        const parsed = BflPollAnswer.safeParse(body);
        if (!parsed.success) throw new ProviderError(`BFL sent a malformed status for ${job.requestId}`, { requestId: job.requestId, detail: describeIssues(parsed.error.issues, body) });
        return parsed.data;
      },
    );
  }

  async function followToEnd(job: SubmittedJob, handle: BflHandle, signal: AbortSignal, onProgress: WaitOptions['onProgress'], wakeUp: WaitOptions['wakeUp']): Promise<KontextOutput> {
    const { requestId } = job;
    let reportedRunning = false;
    // With a webhook coming, nothing is polled until it comes (or the fallback deadline passes);
    // BFL's result is its poll answer, so the first poll after it is the fetch of the result.
    if (handle.webhook === true && wakeUp) await wakeUp(signal);
    for (;;) {
      const answer = await poll(job, handle, signal);
      const status = answer === 'gone' ? BFL_STATUS.notFound : answer.status;
      const detail = answer === 'gone' ? undefined : answer.details;
      switch (status) {
        case BFL_STATUS.ready: {
          const result = answer === 'gone' ? undefined : answer.result;
          if (!result?.sample) throw new ProviderError(`BFL reported ${requestId} Ready without an image`, { requestId, detail: answer });
          onProgress?.({ type: 'completed', metrics: undefined });
          const timings: Record<string, number> = result.start_time !== undefined && result.end_time !== undefined ? { inference: Math.max(0, result.end_time - result.start_time) } : {};
          return { images: [{ url: result.sample }], timings, seed: result.seed ?? handle.seed ?? 0, has_nsfw_concepts: [false], prompt: result.prompt ?? '' };
        }
        case BFL_STATUS.pending:
          if (!reportedRunning) onProgress?.({ type: 'running', logs: [] });
          reportedRunning = true;
          break;
        case BFL_STATUS.requestModerated:
          throw new ModeratedError('input', `BFL refused the request of ${requestId} on content grounds (Request Moderated)`, { requestId, detail });
        case BFL_STATUS.contentModerated:
          throw new ModeratedError('output', `BFL withheld the image of ${requestId} on content grounds (Content Moderated)`, { requestId, detail });
        case BFL_STATUS.notFound:
          throw new ExpiredJobError(requestId, `BFL no longer knows job ${requestId} (Task not found): its result is gone`, { detail });
        case BFL_STATUS.error:
          throw new ProviderError(`BFL reports job ${requestId} failed (Error)`, { requestId, detail });
        default:
          throw new ProviderError(`BFL reports job ${requestId} in a status this provider does not know: ${JSON.stringify(status).slice(0, 80)}`, { requestId, detail });
      }
      await resolved.clock.sleep(resolved.pollIntervalMs, signal);
    }
  }

  return {
    name: 'bfl',
    options: resolved,
    inFlight: (model) => limiter.inFlight(model),

    // The archived bytes go inline: BFL takes base64, and a URL another provider handed out
    // may have expired. A data URI, so the engine stores the request with the image elided.
    async prepareImage(image) {
      return toDataUri(await image.load(), image.contentType);
    },

    async submit(endpointId, input, callOptions = {}) {
      const spec = specOf(endpointId);
      const valid = parseOrThrow(spec.input, input, `input for ${endpointId}`) as Record<string, unknown>;
      const model = modelOf(spec);
      const seed = typeof valid.seed === 'number' ? valid.seed : randomInt(MAX_PICKED_SEED);
      const body = toBflBody({ ...valid, seed });
      const webhook = callOptions.webhook;
      if (webhook) {
        body.webhook_url = webhook.url;
        if (webhook.secret !== undefined) body.webhook_secret = webhook.secret;
      }
      const release = await limiter.acquire(model, spec.maxInFlight ?? BFL_MAX_IN_FLIGHT, callOptions.signal).catch((reason: unknown) => {
        throw new CancelledError(`submit to ${endpointId} was aborted while waiting for a BFL slot`, { cause: reason });
      });
      const operation = `submit to ${endpointId}`;
      try {
        const text = await http.send(
          { operation, method: 'POST', url: `${resolved.baseUrl}/v1/${model}`, headers: JSON_HEADERS, body: JSON.stringify(body), auth: true, policy: resolved.submitRetry, signal: callOptions.signal, endpointId },
          (reply) => readText(reply.body, MAX_JSON_BYTES, operation),
        );
        let answer;
        try {
          answer = BflSubmitAnswer.parse(http.redact(JSON.parse(text)));
        } catch (error) {
          // BFL answered 2xx, so the job most likely exists: garbled is ambiguous, not failed.
          throw new AmbiguousSubmitError(endpointId, { cause: new ProviderError(`${operation}: BFL accepted but sent no id and polling URL`, { detail: http.redact(text.slice(0, 200)), cause: error }) });
        }
        held.set(answer.id, release);
        const handle: BflHandle = { pollingUrl: answer.polling_url, model, seed, ...(webhook ? { webhook: true } : {}) };
        return { requestId: answer.id, handle: { ...handle } };
      } catch (error) {
        release();
        throw error;
      }
    },

    async wait(endpointId, job, waitOptions = {}) {
      const spec = specOf(endpointId);
      const handle = handleOf(job);
      const stop = jobDeadline(waitOptions.signal, resolved.jobTimeoutMs);
      // A job resumed by this process (submitted by another) takes its slot here.
      let release = held.get(job.requestId);
      held.delete(job.requestId);
      try {
        release ??= await limiter.acquire(handle.model, spec.maxInFlight ?? BFL_MAX_IN_FLIGHT, stop.signal);
        return await followToEnd(job, handle, stop.signal, waitOptions.onProgress, waitOptions.wakeUp);
      } catch (error) {
        if (waitOptions.signal?.aborted) throw new CancelledError(`waiting for ${job.requestId} was aborted; BFL has no cancel, so the job may still finish`, { requestId: job.requestId, cause: waitOptions.signal.reason });
        if (stop.signal.aborted) throw new TimeoutError('job', resolved.jobTimeoutMs, { requestId: job.requestId, cause: error });
        throw error;
      } finally {
        stop.clear();
        release?.();
      }
    },

    // BFL's API offers no way to stop a job; the engine records the turn cancelled either way.
    async cancel() {},

    download: (url, downloadOptions) => downloadImage(http, url, { ...downloadOptions }),

    close() {
      closing ??= resolved.ownsDispatcher ? resolved.dispatcher.close() : Promise.resolve();
      return closing;
    },
  };
}

/** The engine's request, in BFL's words (`reference_image_urls` as `input_image_2…`). Fields BFL does not take (`num_images`, `sync_mode`) stay behind. */
export function toBflBody(input: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { prompt: input.prompt };
  const image = input.image_url;
  const asBfl = (url: string) => (isDataUri(url) ? parseDataUri(url).bytes.toString('base64') : url);
  if (typeof image === 'string') body.input_image = asBfl(image);
  // References follow the chained image as input_image_2, input_image_3, …, BFL's multi-image fields.
  const references = Array.isArray(input.reference_image_urls) ? (input.reference_image_urls as string[]) : [];
  references.forEach((url, i) => {
    body[`input_image_${i + 2}`] = asBfl(url);
  });
  for (const field of ['seed', 'aspect_ratio', 'output_format', 'width', 'height', 'steps'] as const) if (input[field] !== undefined) body[field] = input[field];
  if (input.enhance_prompt !== undefined) body.prompt_upsampling = input.enhance_prompt;
  if (input.safety_tolerance !== undefined) body.safety_tolerance = Number(input.safety_tolerance);
  if (input.steps !== undefined && input.guidance_scale !== undefined) body.guidance = input.guidance_scale;
  return body;
}

import type { z } from 'zod';
import { AmbiguousSubmitError } from '../../errors/AmbiguousSubmitError.js';
import { AuthError } from '../../errors/AuthError.js';
import { CancelledError } from '../../errors/CancelledError.js';
import { isKontextError } from '../../errors/KontextError.js';
import { NetworkError } from '../../errors/NetworkError.js';
import { ProviderError } from '../../errors/ProviderError.js';
import { TimeoutError } from '../../errors/TimeoutError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import type { KontextOutput } from '../../kontext/schemas.js';
import { describeIssues, parseOrThrow } from '../../kontext/validation.js';
import type { CallOptions, DownloadedImage, WaitOptions } from '../Provider.js';
import { downloadImage, type DownloadOptions } from './download.js';
import { toFalImageUrl, type FalImageInput } from './imageInput.js';
import { resolveFalKey, resolveFalOptions, type FalClientOptions, type ResolvedFalOptions } from './options.js';
import { ProgressTracker } from './progress.js';
import { FalSubmitAnswer, type FalRequestHandle, type FalStatus, type FalSubmitted } from './protocol.js';
import { NO_RETRY, transportErrorCode, withServerErrors } from './retry.js';
import { parseStatus, readStatusStream } from './statusStream.js';
import { uploadToFalStorage, type UploadOptions } from './storage.js';
import { discard, FalHttp, header, MAX_JSON_BYTES, readJson, readText } from './transport.js';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;

/** The answer of a synchronous run. */
export interface FalRunResult {
  /** From `x-fal-request-id`, when fal sent one. */
  requestId: string | undefined;
  output: KontextOutput;
}

export interface StatusOptions extends CallOptions {
  /** Ask for the job's log lines. Default true. */
  logs?: boolean;
}

/**
 * fal's queue API over undici: submit, status, status stream, result, cancel, the
 * synchronous run endpoint, and storage upload — every call validated, retried by a named
 * policy, abortable, and failing with a typed error that never contains the key.
 *
 * Methods take `(endpointId, handle, options)`; the handle holds the URLs the submit
 * returned, so a job submitted by another process can be followed from its stored handle.
 *
 * @example
 * const fal = new FalQueueClient({ key: process.env.FAL_KEY });
 * const job = await fal.submit('fal-ai/flux-pro/kontext', { prompt: 'make it night', image_url });
 * const output = await fal.wait('fal-ai/flux-pro/kontext', job, { onProgress: console.log });
 * await fal.close();
 */
export class FalQueueClient {
  readonly options: ResolvedFalOptions;
  private readonly http: FalHttp;
  private readonly statusRetry: ResolvedFalOptions['readRetry'];
  private closing: Promise<void> | undefined;

  constructor(options: FalClientOptions = {}) {
    this.options = resolveFalOptions(options);
    this.http = new FalHttp(this.options, resolveFalKey(options));
    this.statusRetry = withServerErrors(this.options.readRetry);
  }

  /**
   * Validates `input` against the endpoint's schema (nothing is sent if it fails) and puts
   * the job in fal's queue, once. Connect failures and 429/502/503/504 are retried; a
   * failure after the body may have reached fal is not, and throws AmbiguousSubmitError.
   */
  async submit(endpointId: string, input: Record<string, unknown>, options: CallOptions & { webhookUrl?: string } = {}): Promise<FalSubmitted> {
    const body = this.validateInput(endpointId, input);
    const { queueUrl, submitRetry } = this.options;
    const operation = `submit to ${endpointId}`;
    // fal takes the callback as a query parameter of the queue submit (its webhook docs).
    const webhook = options.webhookUrl === undefined ? '' : `?fal_webhook=${encodeURIComponent(options.webhookUrl)}`;
    const text = await this.http.send(
      { operation, method: 'POST', url: `${queueUrl}/${endpointId}${webhook}`, headers: JSON_HEADERS, body: JSON.stringify(body), auth: true, policy: submitRetry, signal: options.signal, endpointId },
      (reply) => readText(reply.body, MAX_JSON_BYTES, operation),
    );
    // fal answered 2xx, so the job most likely exists: a garbled answer is ambiguous, not a plain failure.
    let answer: z.output<typeof FalSubmitAnswer>;
    try {
      answer = FalSubmitAnswer.parse(this.http.redact(JSON.parse(text)));
    } catch (error) {
      throw new AmbiguousSubmitError(endpointId, { cause: new ProviderError(`${operation}: fal accepted but sent no request id`, { detail: this.http.redact(text.slice(0, 200)), cause: error }) });
    }
    const requestId = answer.request_id;
    // Older proxies may omit the URLs; only then are they derived, the way fal-js does
    // (owner/alias only — the sub-path is dropped).
    const derived = `${queueUrl}/${endpointId.split('/').slice(0, 2).join('/')}/requests/${encodeURIComponent(requestId)}`;
    return {
      requestId,
      statusUrl: answer.status_url ?? `${derived}/status`,
      responseUrl: answer.response_url ?? derived,
      cancelUrl: answer.cancel_url ?? `${derived}/cancel`,
      queuePosition: answer.queue_position ?? undefined,
    };
  }

  /** The job's status (`IN_QUEUE`, `IN_PROGRESS`, `COMPLETED`), with its logs unless `logs: false`. */
  async status(endpointId: string, handle: FalRequestHandle, options: StatusOptions = {}): Promise<FalStatus> {
    const url = new URL(this.queueTarget(handle.statusUrl));
    url.searchParams.set('logs', options.logs === false ? '0' : '1');
    const operation = `status of ${handle.requestId} (${endpointId})`;
    const { body } = await this.http.json({ operation, method: 'GET', url: url.href, headers: { accept: 'application/json' }, auth: true, policy: this.statusRetry, signal: options.signal, requestId: handle.requestId });
    return parseStatus(body, operation);
  }

  /**
   * The job's statuses as fal pushes them (server-sent events on `<status_url>/stream`),
   * ending when fal ends the stream — normally right after `COMPLETED`. Not retried: the
   * caller falls back to polling (see {@link waitForCompletion}).
   */
  async *streamStatus(endpointId: string, handle: FalRequestHandle, options: StatusOptions = {}): AsyncGenerator<FalStatus> {
    const url = new URL(this.queueTarget(handle.statusUrl));
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/stream`;
    url.searchParams.set('logs', options.logs === false ? '0' : '1');
    const operation = `status stream of ${handle.requestId} (${endpointId})`;
    const body = await this.http.send(
      { operation, method: 'GET', url: url.href, headers: { accept: 'text/event-stream' }, auth: true, policy: NO_RETRY, signal: options.signal, requestId: handle.requestId },
      async (reply) => {
        const type = header(reply.headers, 'content-type') ?? '';
        if (!type.toLowerCase().startsWith('text/event-stream')) {
          await reply.body.dump();
          throw new ProviderError(`${operation}: expected an event stream, got ${JSON.stringify(type)}`, { status: reply.status, requestId: handle.requestId });
        }
        return reply.body;
      },
    );
    let failed = false;
    try {
      // Not destroyed when the caller stops at COMPLETED: see `finally`.
      yield* readStatusStream(body.iterator({ destroyOnReturn: false }), operation);
    } catch (error) {
      failed = true;
      if (isKontextError(error)) throw error;
      if (options.signal?.aborted) throw new CancelledError(`${operation} was aborted`, { requestId: handle.requestId, cause: options.signal.reason });
      const code = transportErrorCode(error);
      if (code === 'UND_ERR_BODY_TIMEOUT') throw new TimeoutError('response', this.options.responseTimeoutMs, { requestId: handle.requestId, cause: error });
      throw new NetworkError(`${operation} broke off (${code ?? 'connection lost'})`, { cause: error });
    } finally {
      // A caller that stopped at COMPLETED (return, not throw) leaves fal about to end the
      // stream: read that end in the background so the keep-alive connection goes back to
      // the pool instead of paying a new TLS handshake later. Otherwise close it now.
      if (failed || options.signal?.aborted) discard(body);
      else void body.dump({ limit: 64 * 1024, signal: AbortSignal.timeout(5_000) }).catch(() => {});
    }
  }

  /**
   * Waits until the job is `COMPLETED` and returns that status. Follows the status stream
   * (one connection, told of completion at once); when the stream is refused, breaks or
   * ends early, it polls the status every `pollIntervalMs` instead. Reports progress.
   */
  async waitForCompletion(endpointId: string, handle: FalRequestHandle, options: WaitOptions = {}): Promise<FalStatus> {
    const progress = new ProgressTracker(options.onProgress);
    const { signal } = options;
    if (this.options.statusMode === 'stream') {
      try {
        for await (const status of this.streamStatus(endpointId, handle, { signal })) {
          progress.report(status);
          if (status.status === 'COMPLETED') return status;
        }
      } catch (error) {
        // A refused key fails polling too; an abort is the caller's. Anything else: poll.
        if (error instanceof AuthError || error instanceof CancelledError || signal?.aborted) throw error;
      }
    }
    for (;;) {
      const status = await this.status(endpointId, handle, { signal });
      progress.report(status);
      if (status.status === 'COMPLETED') return status;
      try {
        await this.options.clock.sleep(this.options.pollIntervalMs, signal);
      } catch (error) {
        if (signal?.aborted) throw new CancelledError(`waiting for ${handle.requestId} was aborted`, { requestId: handle.requestId, cause: signal.reason });
        throw error;
      }
    }
  }

  /** The finished job's output, validated; a failed job's error as a typed error (ProviderError with `detail`). */
  async result(endpointId: string, handle: FalRequestHandle, options: CallOptions = {}): Promise<KontextOutput> {
    const operation = `result of ${handle.requestId} (${endpointId})`;
    const { body } = await this.http.json({ operation, method: 'GET', url: this.queueTarget(handle.responseUrl), headers: { accept: 'application/json' }, auth: true, policy: this.options.readRetry, signal: options.signal, requestId: handle.requestId });
    return this.validateOutput(endpointId, body, handle.requestId);
  }

  /**
   * Follows the job to its end and returns its output. Aborting `options.signal` — or
   * reaching `jobTimeoutMs` — cancels the job on fal (PUT cancel_url) and throws
   * CancelledError (or TimeoutError with phase `job`).
   */
  async wait(endpointId: string, handle: FalRequestHandle, options: WaitOptions = {}): Promise<KontextOutput> {
    const { jobTimeoutMs, responseTimeoutMs } = this.options;
    // One signal for both ends of the wait, the caller's abort and the job deadline, with a
    // timer cleared when the wait ends: `AbortSignal.any` with `AbortSignal.timeout` costs a
    // signal more per job, and leaves a timer behind for `jobTimeoutMs` (10 minutes) after
    // every job. The deadline is wall-clock time by nature; the injected clock only paces waits.
    const stop = new AbortController();
    const signal = stop.signal;
    const timer = setTimeout(() => stop.abort(new DOMException(`the job took longer than ${jobTimeoutMs} ms`, 'TimeoutError')), jobTimeoutMs);
    timer.unref();
    const onAbort = () => stop.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (options.wakeUp && (await options.wakeUp(signal)) === 'webhook') {
        const output = await this.resultOnceNotified(endpointId, handle, signal);
        if (output) return output;
      }
      await this.waitForCompletion(endpointId, handle, { signal, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      return await this.result(endpointId, handle, { signal });
    } catch (error) {
      const aborted = options.signal?.aborted === true;
      if (!aborted && !signal.aborted) throw error;
      // The caller's signal is spent: the cancel gets its own deadline.
      const cancelFailure = await this.cancel(endpointId, handle, { signal: AbortSignal.timeout(responseTimeoutMs) }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      const requestId = handle.requestId;
      if (aborted) {
        const outcome = cancelFailure === undefined ? 'it was cancelled on fal' : 'cancelling it on fal failed';
        throw new CancelledError(`waiting for ${requestId} was aborted; ${outcome}`, { requestId, cause: cancelFailure ?? options.signal?.reason });
      }
      throw new TimeoutError('job', jobTimeoutMs, { requestId, cause: cancelFailure ?? error });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The result right after a webhook said the job ended, with no status poll first. A 400 is
   * fal's "still in progress" (the webhook was early, or not about the end): undefined, and the
   * caller follows the job as usual, which also reports a job that failed with a 400.
   */
  private async resultOnceNotified(endpointId: string, handle: FalRequestHandle, signal: AbortSignal): Promise<KontextOutput | undefined> {
    try {
      return await this.result(endpointId, handle, { signal });
    } catch (error) {
      if (error instanceof ProviderError && error.status === 400) return undefined;
      throw error;
    }
  }

  /**
   * Asks fal to cancel the job (PUT cancel_url). Resolves with fal's answer:
   * `CANCELLATION_REQUESTED`, or `ALREADY_COMPLETED` (not an error: there is nothing to stop).
   */
  async cancel(endpointId: string, handle: FalRequestHandle, options: CallOptions = {}): Promise<string> {
    const operation = `cancel of ${handle.requestId} (${endpointId})`;
    const { body } = await this.http.send(
      { operation, method: 'PUT', url: this.queueTarget(handle.cancelUrl), headers: { accept: 'application/json' }, auth: true, policy: this.options.readRetry, signal: options.signal, requestId: handle.requestId, accept: [400] },
      async (reply) => ({ body: await readJson(reply.body, operation).catch(() => undefined) }),
    );
    const status = body !== null && typeof body === 'object' ? (body as { status?: unknown }).status : undefined;
    return typeof status === 'string' ? status : 'CANCELLATION_REQUESTED';
  }

  /**
   * Runs the endpoint synchronously on the run host (`POST <runUrl>/<endpointId>`) and
   * returns its output; with `sync_mode: true` the images come back as data URIs. It
   * costs like a submit, so it is retried like one (AmbiguousSubmitError when unsure).
   */
  async run(endpointId: string, input: Record<string, unknown>, options: CallOptions = {}): Promise<FalRunResult> {
    const body = this.validateInput(endpointId, input);
    const operation = `run of ${endpointId}`;
    const reply = await this.http.send(
      {
        operation,
        method: 'POST',
        url: `${this.options.runUrl}/${endpointId}`,
        headers: JSON_HEADERS,
        body: JSON.stringify(body),
        auth: true,
        policy: this.options.submitRetry,
        signal: options.signal,
        endpointId,
        // A synchronous run answers only when the job is done.
        headersTimeoutMs: this.options.jobTimeoutMs,
      },
      async (answer) => ({ requestId: header(answer.headers, 'x-fal-request-id'), body: await readJson(answer.body, operation) }),
    );
    return { requestId: reply.requestId, output: this.validateOutput(endpointId, this.http.redact(reply.body), reply.requestId) };
  }

  /** Uploads bytes to fal storage and returns the URL that serves them. */
  upload(bytes: Uint8Array, options: UploadOptions): Promise<string> {
    return uploadToFalStorage(this.http, bytes, options);
  }

  /**
   * The `image_url` for an image: a fal URL that still serves is reused, small images go
   * inline as data URIs (up to `inlineMaxBytes`), others are uploaded. Accepts the engine's
   * ImageSource, a file path, a data URI, an http(s) URL or bytes.
   */
  prepareImageUrl(input: FalImageInput, options: CallOptions = {}): Promise<string> {
    return toFalImageUrl(
      input,
      {
        inlineMaxBytes: this.options.inlineMaxBytes,
        upload: (bytes, contentType, signal) => this.upload(bytes, { contentType, ...(signal ? { signal } : {}) }),
        stillServes: (url, signal) => this.stillServes(url, signal),
      },
      options.signal,
    );
  }

  /** Streams an output image, refusing non-images and more than `maxBytes` (see `downloadImage`). */
  download(url: string, options: DownloadOptions = {}): Promise<DownloadedImage> {
    return downloadImage(this.http, url, options);
  }

  /** Closes the keep-alive pool if this client created it. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.options.ownsDispatcher ? this.options.dispatcher.close() : Promise.resolve();
    return this.closing;
  }

  /**
   * A HEAD (or, where HEAD is not allowed, a one-byte ranged GET) without the key: fal's
   * URLs are public and expire, and any failure just means "upload again".
   */
  private async stillServes(url: string, signal: AbortSignal | undefined): Promise<boolean> {
    const probe = async (method: 'HEAD' | 'GET'): Promise<number> =>
      this.http.send(
        { operation: `probe of ${new URL(url).origin}`, method, url, headers: method === 'GET' ? { range: 'bytes=0-0' } : {}, auth: false, policy: NO_RETRY, signal, accept: 'any' },
        async (reply) => {
          await reply.body.dump();
          return reply.status;
        },
      );
    try {
      let status = await probe('HEAD');
      if (status === 405 || status === 501) status = await probe('GET');
      return status >= 200 && status < 300;
    } catch (error) {
      if (signal?.aborted) throw error;
      return false;
    }
  }

  private validateInput(endpointId: string, input: Record<string, unknown>): Record<string, unknown> {
    const spec = this.options.endpoints.get(endpointId);
    if (spec.provider !== 'fal') {
      throw new ValidationError([{ field: 'endpoint', message: `'${endpointId}' is run by the ${spec.provider} provider, not fal` }]);
    }
    return parseOrThrow(spec.input, input, `input for ${endpointId}`) as Record<string, unknown>;
  }

  private validateOutput(endpointId: string, body: unknown, requestId: string | undefined): KontextOutput {
    const result = this.options.endpoints.get(endpointId).output.safeParse(body);
    if (!result.success) {
      throw new ProviderError(`fal returned a malformed result for ${endpointId}`, { detail: describeIssues(result.error.issues, body), ...(requestId ? { requestId } : {}) });
    }
    return result.data as KontextOutput;
  }

  /**
   * The URL to call for a status/result/cancel URL fal returned. Its path is kept as given
   * (fal's URLs drop the endpoint's sub-path; rebuilding them is a guess). But the key only
   * ever goes to the configured queue host: a proxy that passes fal's own URLs through is
   * answered by putting the returned path behind the configured base.
   */
  private queueTarget(returned: string): string {
    const url = new URL(returned);
    const base = new URL(this.options.queueUrl);
    if (url.origin === base.origin) return url.href;
    return `${this.options.queueUrl}${url.pathname}${url.search}`;
  }
}

import type { Dispatcher } from 'undici';
import { AmbiguousSubmitError } from '../../errors/AmbiguousSubmitError.js';
import { AuthError } from '../../errors/AuthError.js';
import { CancelledError } from '../../errors/CancelledError.js';
import { isKontextError, type KontextError } from '../../errors/KontextError.js';
import { NetworkError } from '../../errors/NetworkError.js';
import { ProviderError } from '../../errors/ProviderError.js';
import { TimeoutError, type TimeoutPhase } from '../../errors/TimeoutError.js';
import { errorFromResponse } from './errorFromResponse.js';
import type { ResolvedFalOptions } from './options.js';
import { keyRedactor } from './redact.js';
import { parseRetryAfter } from './retryAfter.js';
import { backoffDelay, isConnectPhaseError, transportErrorCode, type RetryPolicy } from './retry.js';

/** JSON answers larger than this are refused: a result with four inline images is a few MB. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 1024 * 1024;

export type ResponseBody = Dispatcher.ResponseData['body'];

export interface HttpCall {
  /** What is being done, for messages: `submit to fal-ai/flux-pro/kontext`. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Send the key (fal: `Authorization: Key …`): only to the provider's API hosts, never to upload URLs or CDNs. */
  auth: boolean;
  policy: RetryPolicy;
  signal?: AbortSignal | undefined;
  /** Deadline for the response headers; default `responseTimeoutMs`. */
  headersTimeoutMs?: number;
  /** Gap allowed between body chunks; default `responseTimeoutMs`. */
  bodyTimeoutMs?: number;
  /** Phase a response timeout is reported as. Default `response`. */
  timeoutPhase?: TimeoutPhase;
  endpointId?: string;
  requestId?: string | undefined;
  /** Non-2xx statuses handed to `read` instead of being thrown; `any` hands over every answer. */
  accept?: readonly number[] | 'any';
}

/**
 * Who is on the other end: how the key is sent and named in messages. fal's is the default;
 * other providers on the same transport (BFL) pass theirs.
 */
export interface ProviderIdentity {
  /** For messages: `fal`, `BFL`. */
  label: string;
  /** The environment variable a user sets the key in, for messages. */
  keyEnv: string;
  authHeaders: (key: string) => Record<string, string>;
  /** The answer header that carries the provider's request id, if it sends one. */
  requestIdHeader?: string;
}

export const FAL_IDENTITY: ProviderIdentity = {
  label: 'fal',
  keyEnv: 'FAL_KEY',
  authHeaders: (key) => ({ authorization: `Key ${key}` }),
  requestIdHeader: 'x-fal-request-id',
};

/** What the transport reads of a client's resolved options. */
export type HttpOptions = Pick<ResolvedFalOptions, 'dispatcher' | 'clock' | 'random' | 'connectTimeoutMs' | 'responseTimeoutMs' | 'maxRetryAfterMs' | 'readRetry'>;

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
}

/**
 * Every HTTP exchange with fal goes through here: one undici dispatcher (keep-alive pool),
 * the key added only where asked, retries by policy, and every failure turned into a typed
 * error with the key redacted. The key lives in a private field so that neither
 * `JSON.stringify` nor `util.inspect` of a client can show it.
 */
export class FalHttp<O extends HttpOptions = ResolvedFalOptions> {
  readonly #key: string | undefined;
  readonly redact: <T>(value: T) => T;

  constructor(
    readonly options: O,
    key: string | undefined,
    readonly identity: ProviderIdentity = FAL_IDENTITY,
  ) {
    this.#key = key;
    this.redact = keyRedactor(key);
  }

  get hasKey(): boolean {
    return this.#key !== undefined;
  }

  /**
   * Sends `call`, retrying by its policy, and hands a 2xx (or accepted) reply to `read`.
   * Failures inside `read` count as transport failures too (a body cut off midway), except
   * typed errors, which `read` throws on purpose.
   */
  async send<T>(call: HttpCall, read: (reply: HttpReply) => Promise<T>): Promise<T> {
    if (call.auth && this.#key === undefined) {
      throw new AuthError(`no ${this.identity.label} key for ${call.operation}: pass \`key\` or set ${this.identity.keyEnv}`);
    }
    const { clock, random } = this.options;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(call);
      let reply: HttpReply;
      try {
        reply = await this.dispatch(call);
      } catch (error) {
        const failure = this.transportFailure(call, error);
        if (attempt >= call.policy.maxAttempts || !failure.retryable) throw failure.error;
        await sleep(clock.sleep(backoffDelay(attempt, call.policy, random), call.signal), call);
        continue;
      }
      const ok = (reply.status >= 200 && reply.status < 300) || call.accept === 'any' || call.accept?.includes(reply.status) === true;
      if (ok) {
        try {
          return await read(reply);
        } catch (error) {
          discard(reply.body);
          if (isKontextError(error)) throw error;
          const failure = this.transportFailure(call, error);
          if (attempt >= call.policy.maxAttempts || !failure.retryable) throw failure.error;
          await sleep(clock.sleep(backoffDelay(attempt, call.policy, random), call.signal), call);
          continue;
        }
      }
      const body = await readErrorBody(reply.body).catch(() => undefined);
      const retryAfterMs = parseRetryAfter(header(reply.headers, 'retry-after'), clock.now(), this.options.maxRetryAfterMs);
      if (call.policy.retryStatuses.includes(reply.status) && attempt < call.policy.maxAttempts) {
        await sleep(clock.sleep(retryAfterMs ?? backoffDelay(attempt, call.policy, random), call.signal), call);
        continue;
      }
      throw errorFromResponse({
        operation: call.operation,
        status: reply.status,
        body: this.redact(body),
        requestId: call.requestId ?? (this.identity.requestIdHeader ? header(reply.headers, this.identity.requestIdHeader) : undefined),
        retryAfterMs,
        attempts: attempt,
        provider: this.identity,
      });
    }
  }

  /** Sends `call` and parses the JSON answer (redacted). */
  async json(call: HttpCall): Promise<{ status: number; headers: HttpReply['headers']; body: unknown }> {
    return this.send(call, async (reply) => ({ status: reply.status, headers: reply.headers, body: this.redact(await readJson(reply.body, call.operation)) }));
  }

  private async dispatch(call: HttpCall): Promise<HttpReply> {
    const headers: Record<string, string> = call.auth && this.#key !== undefined ? { ...call.headers, ...this.identity.authHeaders(this.#key) } : { ...call.headers };
    const timeout = this.options.responseTimeoutMs;
    const { origin, pathname, search } = new URL(call.url);
    const response = await this.options.dispatcher.request({
      origin,
      path: `${pathname}${search}`,
      method: call.method,
      headers,
      body: call.body,
      signal: call.signal,
      headersTimeout: call.headersTimeoutMs ?? timeout,
      bodyTimeout: call.bodyTimeoutMs ?? timeout,
    });
    return { status: response.statusCode, headers: response.headers, body: response.body };
  }

  /**
   * Classifies a failure without an HTTP answer. For a call that is not safe to repeat
   * (a submit), anything after the connect phase may mean the server has the job.
   */
  private transportFailure(call: HttpCall, error: unknown): { error: KontextError; retryable: boolean } {
    const aborted = call.signal?.aborted === true;
    const connectPhase = !aborted && isConnectPhaseError(error);
    const typed = aborted ? new CancelledError(`${call.operation} was aborted`, { requestId: call.requestId, cause: call.signal?.reason }) : this.typedTransportError(call, error);
    if (!connectPhase && !call.policy.retryAfterSend) {
      return { error: new AmbiguousSubmitError(call.endpointId ?? call.operation, { cause: typed }), retryable: false };
    }
    return { error: typed, retryable: !aborted };
  }

  private typedTransportError(call: HttpCall, error: unknown): KontextError {
    const code = transportErrorCode(error);
    const requestId = call.requestId;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return new TimeoutError('connect', this.options.connectTimeoutMs, { requestId, cause: error });
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return new TimeoutError(call.timeoutPhase ?? 'response', call.headersTimeoutMs ?? this.options.responseTimeoutMs, { requestId, cause: error });
    if (code === 'UND_ERR_BODY_TIMEOUT') return new TimeoutError(call.timeoutPhase ?? 'response', call.bodyTimeoutMs ?? this.options.responseTimeoutMs, { requestId, cause: error });
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    return new NetworkError(`${call.operation} failed: no answer from ${originOf(call.url)} (${this.redact(reason)})`, { cause: error });
  }
}

function throwIfAborted(call: HttpCall): void {
  if (call.signal?.aborted) throw new CancelledError(`${call.operation} was aborted`, { requestId: call.requestId, cause: call.signal.reason });
}

/** A backoff wait that ends in CancelledError (not the raw abort reason) when the call is aborted. */
async function sleep(waiting: Promise<void>, call: HttpCall): Promise<void> {
  try {
    await waiting;
  } catch (error) {
    if (call.signal?.aborted) throw new CancelledError(`${call.operation} was aborted`, { requestId: call.requestId, cause: call.signal.reason });
    throw error;
  }
}

/**
 * Frees the connection of a body we will not read. undici's body emits an "aborted"
 * error when destroyed before its end; with nobody listening that would crash the process.
 */
export function discard(body: ResponseBody): void {
  body.on('error', () => {});
  body.destroy();
}

export function header(headers: HttpReply['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the server';
  }
}

/** The body as text, refusing more than `maxBytes`. */
export async function readText(body: AsyncIterable<Uint8Array>, maxBytes: number, what: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early (the throw) ends the iteration, which frees the connection.
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new ProviderError(`${what}: the answer is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJson(body: ResponseBody, what: string): Promise<unknown> {
  const text = await readText(body, MAX_JSON_BYTES, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ProviderError(`${what}: the answer is not JSON`, { detail: text.slice(0, 200), cause: error });
  }
}

async function readErrorBody(body: ResponseBody): Promise<unknown> {
  const text = await readText(body, MAX_ERROR_BODY_BYTES, 'error answer');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

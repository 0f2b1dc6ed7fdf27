import { Agent, type Dispatcher } from 'undici';
import { ValidationError } from '../../errors/ValidationError.js';
import { EndpointRegistry } from '../../kontext/endpoints.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { httpBaseUrl } from '../../util/httpBaseUrl.js';
import { DEFAULT_MAX_RETRY_AFTER_MS } from './retryAfter.js';
import { READ_RETRY, SUBMIT_RETRY, type RetryPolicy } from './retry.js';

export const DEFAULT_QUEUE_URL = 'https://queue.fal.run';
export const DEFAULT_RUN_URL = 'https://fal.run';
/** Where @fal-ai/client 1.10 starts uploads (`getRestApiUrl()`); older clients used rest.alpha.fal.ai. */
export const DEFAULT_STORAGE_URL = 'https://rest.fal.ai';
/** Sockets per origin in the default pool. */
export const DEFAULT_MAX_CONNECTIONS = 64;
/** Input images up to this size are sent inline as a data URI instead of being uploaded. */
export const DEFAULT_INLINE_MAX_BYTES = 256 * 1024;

/** Options of {@link FalQueueClient} and `createFalProvider`. Every one has a default. */
export interface FalClientOptions {
  /** The fal key (`id:secret`). Default: `env.FAL_KEY`. Never logged, stored or put in an error. */
  key?: string;
  /** Queue host. Default: `env.FAL_QUEUE_URL` or `https://queue.fal.run`. May carry a path (a proxy). */
  queueUrl?: string;
  /** Host of synchronous runs. Default: `env.FAL_RUN_URL` or `https://fal.run`. */
  runUrl?: string;
  /** Storage API host (upload initiate). Default: `env.FAL_STORAGE_URL` or `https://rest.fal.ai`. */
  storageUrl?: string;
  /** Where `FAL_KEY` and the URL overrides are read. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The undici dispatcher (keep-alive pool) every request goes through. Default: an `Agent`
   * owned by the client (closed by `close()`) with `connectTimeoutMs` applied. A dispatcher
   * you pass is yours to close, and its own connect timeout applies.
   */
  dispatcher?: Dispatcher;
  /** Backoff and poll waits go through it. Default: the system clock. */
  clock?: Clock;
  /** Jitter source in [0, 1). Default: `Math.random`. */
  random?: () => number;
  /** Schemas used to validate input before sending and output after. Default: the built-in endpoints. */
  endpoints?: EndpointRegistry;
  /** TCP/TLS connect deadline of the default dispatcher. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Deadline for a response's headers, and for each gap between body chunks. Default 60 000 ms. */
  responseTimeoutMs?: number;
  /** The longest `wait` (and a synchronous `run`) lasts before the job is cancelled. Default 600 000 ms. */
  jobTimeoutMs?: number;
  /** Interval of status polling when the status stream is unavailable. Default 500 ms. */
  pollIntervalMs?: number;
  /** `stream` (server-sent events, polling as the fallback) or `poll` only. Default `stream`. */
  statusMode?: 'stream' | 'poll';
  /** Images up to this many bytes are sent as data URIs; larger ones are uploaded. Default 256 KiB. */
  inlineMaxBytes?: number;
  /** Cap on a server's `Retry-After`. Default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** Overrides of the submit/run retry policy. Default {@link SUBMIT_RETRY}. */
  submitRetry?: Partial<RetryPolicy>;
  /** Overrides of the status/result/cancel/storage retry policy. Default {@link READ_RETRY}. */
  readRetry?: Partial<RetryPolicy>;
}

/** Options with every default applied, once, outside the per-request path. The key is not here. */
export interface ResolvedFalOptions {
  queueUrl: string;
  runUrl: string;
  storageUrl: string;
  dispatcher: Dispatcher;
  ownsDispatcher: boolean;
  clock: Clock;
  random: () => number;
  endpoints: EndpointRegistry;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  jobTimeoutMs: number;
  pollIntervalMs: number;
  statusMode: 'stream' | 'poll';
  inlineMaxBytes: number;
  maxRetryAfterMs: number;
  submitRetry: RetryPolicy;
  readRetry: RetryPolicy;
}

/**
 * The transport options every HTTP provider takes (BFL and Replicate speak HTTP as fal does):
 * resolved by resolveFalOptions, so they share its defaults and checks.
 */
export type HttpClientOptions = Pick<
  FalClientOptions,
  'env' | 'dispatcher' | 'clock' | 'random' | 'endpoints' | 'connectTimeoutMs' | 'responseTimeoutMs' | 'pollIntervalMs' | 'maxRetryAfterMs' | 'submitRetry' | 'readRetry'
>;

export function resolveFalOptions(options: FalClientOptions = {}): ResolvedFalOptions {
  const env = options.env ?? process.env;
  const issues: { field: string; message: string }[] = [];
  const baseUrl = (field: string, value: string) => {
    const url = httpBaseUrl(value);
    if (url === undefined) issues.push({ field, message: `${JSON.stringify(value)} is not an http(s) base URL without query` });
    return url ?? value;
  };
  const positive = (field: string, value: number | undefined, fallback: number, allowZero = false) => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) issues.push({ field, message: `${value} must be a ${allowZero ? 'non-negative' : 'positive'} number` });
    return value;
  };
  const queueUrl = baseUrl('queueUrl', options.queueUrl ?? env.FAL_QUEUE_URL ?? DEFAULT_QUEUE_URL);
  const runUrl = baseUrl('runUrl', options.runUrl ?? env.FAL_RUN_URL ?? DEFAULT_RUN_URL);
  const storageUrl = baseUrl('storageUrl', options.storageUrl ?? env.FAL_STORAGE_URL ?? DEFAULT_STORAGE_URL);
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 10_000);
  const resolved: ResolvedFalOptions = {
    queueUrl,
    runUrl,
    storageUrl,
    // A bounded pool: with unbounded sockets a burst (1,000 sessions at once) made sockets fail
    // mid-submit, and a failed submit is ambiguous (never retried). Keep-alive stays at undici's
    // default, below servers' usual 5 s, so a socket the server is closing is not reused.
    dispatcher: options.dispatcher ?? new Agent({ connect: { timeout: connectTimeoutMs }, connections: DEFAULT_MAX_CONNECTIONS }),
    ownsDispatcher: options.dispatcher === undefined,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    endpoints: options.endpoints ?? new EndpointRegistry(),
    connectTimeoutMs,
    responseTimeoutMs: positive('responseTimeoutMs', options.responseTimeoutMs, 60_000),
    jobTimeoutMs: positive('jobTimeoutMs', options.jobTimeoutMs, 600_000),
    pollIntervalMs: positive('pollIntervalMs', options.pollIntervalMs, 500, true),
    statusMode: options.statusMode ?? 'stream',
    inlineMaxBytes: positive('inlineMaxBytes', options.inlineMaxBytes, DEFAULT_INLINE_MAX_BYTES, true),
    maxRetryAfterMs: positive('maxRetryAfterMs', options.maxRetryAfterMs, DEFAULT_MAX_RETRY_AFTER_MS, true),
    submitRetry: { ...SUBMIT_RETRY, ...options.submitRetry },
    readRetry: { ...READ_RETRY, ...options.readRetry },
  };
  if (resolved.statusMode !== 'stream' && resolved.statusMode !== 'poll') issues.push({ field: 'statusMode', message: `${JSON.stringify(resolved.statusMode)} is not allowed; allowed: "stream", "poll"` });
  for (const name of ['submitRetry', 'readRetry'] as const) {
    const attempts = resolved[name].maxAttempts;
    if (!Number.isInteger(attempts) || attempts < 1) issues.push({ field: `${name}.maxAttempts`, message: `${attempts} must be a whole number of at least 1` });
  }
  if (issues.length > 0) {
    if (resolved.ownsDispatcher) void resolved.dispatcher.close();
    throw new ValidationError(issues, 'fal client options');
  }
  return resolved;
}

/** The key from the options or `FAL_KEY`; empty strings count as absent. */
export function resolveFalKey(options: FalClientOptions = {}): string | undefined {
  const key = options.key ?? (options.env ?? process.env).FAL_KEY;
  return key === undefined || key.trim() === '' ? undefined : key.trim();
}

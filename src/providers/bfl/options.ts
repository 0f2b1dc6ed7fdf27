import { ValidationError } from '../../errors/ValidationError.js';
import type { EndpointRegistry } from '../../kontext/endpoints.js';
import { resolveFalOptions, type HttpClientOptions } from '../fal/options.js';
import type { RetryPolicy } from '../fal/retry.js';
import type { HttpOptions } from '../fal/transport.js';

export const DEFAULT_BFL_URL = 'https://api.bfl.ai';

/** Options of `createBflProvider`. Every one has a default. */
export interface BflClientOptions extends HttpClientOptions {
  /** The BFL key, sent as `x-key`. Default: `env.BFL_API_KEY`. Never logged, stored or put in an error. */
  key?: string;
  /** API base. Default: `env.BFL_API_URL` or `https://api.bfl.ai`. Submits go to `<baseUrl>/v1/<model>`. */
  baseUrl?: string;
  /**
   * Origins besides the base's that may receive the key when a `polling_url` points there.
   * With the default base, https hosts under `bfl.ai` (the regional `api.eu.bfl.ai`,
   * `api.us.bfl.ai`) are trusted without being listed.
   */
  pollOrigins?: readonly string[];
  /** The longest `wait` lasts. BFL has no cancel, so the job may still finish (and bill). Default 600 000 ms. */
  jobTimeoutMs?: number;
}

export interface ResolvedBflOptions extends HttpOptions {
  baseUrl: string;
  pollOrigins: readonly string[];
  trustBflHosts: boolean;
  ownsDispatcher: boolean;
  endpoints: EndpointRegistry;
  jobTimeoutMs: number;
  pollIntervalMs: number;
  submitRetry: RetryPolicy;
}

/**
 * The shared transport options are resolved as fal's are (same defaults, same checks), then
 * BFL's own are added: BFL speaks HTTP the way fal does, only its paths and key header differ.
 */
export function resolveBflOptions(options: BflClientOptions = {}): ResolvedBflOptions {
  const env = options.env ?? process.env;
  const baseUrl = (options.baseUrl ?? env.BFL_API_URL ?? DEFAULT_BFL_URL).replace(/\/+$/, '');
  const shared = resolveFalOptions({ ...options, env: {}, queueUrl: baseUrl, statusMode: 'poll' });
  const issues: { field: string; message: string }[] = [];
  const origin = (field: string, value: string) => {
    try {
      return new URL(value).origin;
    } catch {
      issues.push({ field, message: `${JSON.stringify(value)} is not a URL` });
      return value;
    }
  };
  const baseOrigin = origin('baseUrl', baseUrl);
  const pollOrigins = (options.pollOrigins ?? []).map((o, i) => origin(`pollOrigins.${i}`, o));
  if (issues.length > 0) {
    if (shared.ownsDispatcher) void shared.dispatcher.close();
    throw new ValidationError(issues, 'BFL client options');
  }
  return {
    ...shared,
    baseUrl: shared.queueUrl,
    pollOrigins: [baseOrigin, ...pollOrigins],
    trustBflHosts: shared.queueUrl === DEFAULT_BFL_URL,
  };
}

/** The key from the options or `BFL_API_KEY`; empty strings count as absent. */
export function resolveBflKey(options: BflClientOptions = {}): string | undefined {
  const key = options.key ?? (options.env ?? process.env).BFL_API_KEY;
  return key === undefined || key.trim() === '' ? undefined : key.trim();
}

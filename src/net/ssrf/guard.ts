import { request } from 'undici';
import { CancelledError } from '../../errors/CancelledError.js';
import { isKontextError } from '../../errors/KontextError.js';
import { NetworkError } from '../../errors/NetworkError.js';
import { TimeoutError } from '../../errors/TimeoutError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import type { ImageFetcher } from '../ImageFetcher.js';
import { pinnedAgent, type ConnectHook } from './pinnedAgent.js';
import { UnsafeUrlError, type UnsafeUrlReason } from './UnsafeUrlError.js';
import { normaliseHost, systemLookup, vetUrl, type LookupFn } from './vetUrl.js';

export interface SsrfGuardOptions {
  /**
   * Host names (or IP literals) trusted as they are: their addresses are not judged, so a
   * loopback or intranet image server can be used on purpose. Exact match, case-insensitive.
   * Default none.
   */
  allowHosts?: readonly string[];
  /**
   * Also fetch from this machine (127.0.0.0/8, ::1, and names resolving there): for a CLI run
   * by the machine's owner, or a test's loopback server. Default false.
   */
  allowLoopback?: boolean;
  /**
   * Also fetch from private networks (10/8, 172.16/12, 192.168/16, fc00::/7): for an owner's
   * own intranet. Cloud metadata and link-local addresses stay refused. Default false.
   */
  allowPrivate?: boolean;
  /** Resolves host names. Default: the system resolver (`dns.lookup`, all addresses). */
  lookup?: LookupFn;
  /** Sees (and may refuse) every connection before its socket opens. Default none. */
  connect?: ConnectHook;
  /** Redirects followed, each re-checked like the first URL. Default 3. */
  maxRedirects?: number;
  /** Deadline for the whole download, redirects included. Default 30 000 ms. */
  timeoutMs?: number;
  /** Largest image accepted, whatever the caller allows. Default 25 MiB. */
  maxBytes?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * An {@link ImageFetcher} that downloads only from public addresses (plus what
 * `allowHosts`, `allowLoopback` and `allowPrivate` let through on purpose). Each hop (the URL and
 * every redirect, at most `maxRedirects`) is parsed, resolved once and judged by
 * {@link checkAddress}; the connection then goes to that exact address, so DNS rebinding
 * cannot redirect it. Size and time are capped while the body streams.
 *
 * @example
 * const fetchImage = createSsrfGuard({ timeoutMs: 10_000 });
 * const bytes = await fetchImage('https://example.com/photo.png', { maxBytes: 5_000_000 });
 */
export function createSsrfGuard(options: SsrfGuardOptions = {}): ImageFetcher {
  const allowHosts = new Set((options.allowHosts ?? []).map(normaliseHost));
  const allowReasons = new Set<UnsafeUrlReason>([
    ...(options.allowLoopback ? (['loopback'] as const) : []),
    ...(options.allowPrivate ? (['private', 'unique-local'] as const) : []),
  ]);
  const lookup = options.lookup ?? systemLookup;
  const maxRedirects = options.maxRedirects ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const guardMaxBytes = options.maxBytes ?? 25 * 1024 * 1024;

  return async (url, { maxBytes: callerMaxBytes, signal, field = 'image_url' }) => {
    const maxBytes = Math.min(callerMaxBytes, guardMaxBytes);
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let current: string | URL = url;
    for (let hop = 0; ; hop++) {
      const target = await vetUrl(current, { lookup, allowHosts, allowReasons, field });
      const agent = pinnedAgent(target, { connect: options.connect, connectTimeoutMs: timeoutMs, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
      try {
        const response = await request(target.url, {
          dispatcher: agent,
          method: 'GET',
          headers: { accept: 'image/*', 'user-agent': 'kontext-sessions' },
          signal: combined,
        });
        if (REDIRECT_STATUSES.has(response.statusCode)) {
          await response.body.dump();
          const location = response.headers.location;
          if (typeof location !== 'string' || location.length === 0) {
            throw new ValidationError([{ field, message: `${target.url.origin} answered HTTP ${response.statusCode} without a Location` }]);
          }
          if (hop >= maxRedirects) throw new UnsafeUrlError('too-many-redirects', `${field} redirected more than ${maxRedirects} times`, { field });
          current = new URL(location, target.url);
          continue;
        }
        if (response.statusCode !== 200) {
          await response.body.dump();
          throw new ValidationError([{ field, message: `downloading it answered HTTP ${response.statusCode}; expected 200` }]);
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          response.body.destroy();
          throw new ValidationError([{ field, message: `is ${declared} bytes; the limit is ${maxBytes}` }]);
        }
        const parts: Buffer[] = [];
        let size = 0;
        for await (const chunk of response.body) {
          size += (chunk as Buffer).length;
          if (size > maxBytes) {
            response.body.destroy();
            throw new ValidationError([{ field, message: `is larger than the limit of ${maxBytes} bytes` }]);
          }
          parts.push(chunk as Buffer);
        }
        return Buffer.concat(parts);
      } catch (error) {
        if (isKontextError(error)) throw error;
        if (deadline.aborted) throw new TimeoutError('download', timeoutMs, { cause: error });
        if (signal?.aborted) throw new CancelledError('the image download was aborted', { cause: error });
        throw new NetworkError(`could not download ${field} from ${target.url.origin}: ${(error as Error).message}`, { cause: error });
      } finally {
        await agent.destroy().catch(() => undefined);
      }
    }
  };
}

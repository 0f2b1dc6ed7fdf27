import { lookup as dnsLookup } from 'node:dns/promises';
import { ValidationError } from '../../errors/ValidationError.js';
import { checkAddress, isIpLiteral } from './ipPolicy.js';
import { UnsafeUrlError, type UnsafeUrlReason } from './UnsafeUrlError.js';

/** Resolves a host name to its addresses (all of them). Injected in tests so no DNS query leaves the machine. */
export type LookupFn = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export const systemLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface VetOptions {
  lookup: LookupFn;
  /** Host names trusted as they are (normalised with {@link normaliseHost}). */
  allowHosts: ReadonlySet<string>;
  /** Address kinds (as {@link checkAddress} names them) accepted besides public unicast. Default none. */
  allowReasons?: ReadonlySet<UnsafeUrlReason>;
  /** The input field refusals name. Default `image_url`. */
  field?: string;
}

/** A URL that passed the checks, with the one address every connection for it must go to. */
export interface VettedTarget {
  url: URL;
  /** Host name as in the URL, lower case, without IPv6 brackets or a trailing dot. */
  hostname: string;
  address: string;
  family: 4 | 6;
  port: number;
  protocol: 'http:' | 'https:';
  /** The host is on the allow-list: its address was not judged. */
  trusted: boolean;
}

/**
 * Checks a URL before anything is sent: http(s) only, no credentials, and every address the
 * host resolves to must be public unicast (unless the host is allow-listed, or its kind of
 * address is in `allowReasons`). Numeric host
 * spellings (`2130706433`, `0x7f.1`, `017700000001`, `[::ffff:127.0.0.1]`) are already
 * canonical IP literals once `new URL` has parsed them, so they are judged like `127.0.0.1`.
 * Resolves once: the caller must connect to `address` and nowhere else.
 */
export async function vetUrl(input: string | URL, options: VetOptions): Promise<VettedTarget> {
  const field = options.field ?? 'image_url';
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UnsafeUrlError('invalid-url', `${field} ${JSON.stringify(String(input).slice(0, 200))} is not a valid URL`, { field });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsafeUrlError('scheme', `${field} scheme '${url.protocol}' is not allowed; allowed: http:, https:`, { field });
  }
  if (url.username || url.password) throw new UnsafeUrlError('credentials', `${field} must not carry a user name or password`, { field });
  const hostname = normaliseHost(url.hostname);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const trusted = options.allowHosts.has(hostname);

  let candidates: readonly { address: string }[];
  if (isIpLiteral(hostname)) {
    candidates = [{ address: hostname }];
  } else {
    try {
      candidates = await options.lookup(hostname);
    } catch (error) {
      throw new ValidationError([{ field, message: `host '${hostname}' could not be resolved (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})` }]);
    }
    if (candidates.length === 0) throw new ValidationError([{ field, message: `host '${hostname}' has no addresses` }]);
  }

  // Every address is judged, not just the one we pick: a name with one public and one private
  // record is refused, so no choice of ours (or of a retry) can land inside.
  const verdicts = candidates.map((c) => {
    if (!isIpLiteral(c.address)) throw new ValidationError([{ field, message: `host '${hostname}' resolved to '${c.address}', which is not an IP address` }]);
    return checkAddress(c.address);
  });
  if (!trusted) {
    const refused = verdicts.find((v) => !v.allowed && !options.allowReasons?.has(v.reason));
    if (refused && !refused.allowed) {
      const literal = isIpLiteral(hostname);
      throw new UnsafeUrlError(
        refused.reason,
        literal
          ? `${field} points at ${hostname}, a ${refused.reason} address; only public addresses are fetched`
          : `${field} host '${hostname}' resolves to a ${refused.reason} address; only public addresses are fetched`,
        { host: hostname, address: refused.address, field },
      );
    }
  }
  const chosen = verdicts[0]!;
  return { url, hostname, address: chosen.address, family: chosen.family, port, protocol: url.protocol, trusted };
}

/** `[::1]` → `::1`, `Example.COM.` → `example.com`: the form allow-list entries are compared in. */
export function normaliseHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

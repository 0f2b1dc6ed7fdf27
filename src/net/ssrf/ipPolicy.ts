import ipaddr from 'ipaddr.js';
import type { UnsafeUrlReason } from './UnsafeUrlError.js';

/** Where the clouds serve instance credentials; named apart from "link-local" because it is the classic SSRF prize. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

/** ipaddr.js range names → our reasons. Anything not listed and not `unicast` is `reserved`. */
const REASON_BY_RANGE: Readonly<Record<string, UnsafeUrlReason>> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
  carrierGradeNat: 'carrier-grade-nat',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  // These IPv6 ranges carry an IPv4 address inside; a NAT64 or 6to4 gateway could forward to a private one.
  rfc6052: 'ipv4-embedded',
  rfc6145: 'ipv4-embedded',
  '6to4': 'ipv4-embedded',
  teredo: 'ipv4-embedded',
};

export type AddressVerdict =
  | { allowed: true; address: string; family: 4 | 6 }
  | { allowed: false; address: string; family: 4 | 6; reason: UnsafeUrlReason };

/**
 * Decides whether we may connect to an IP address. Only ordinary public unicast
 * passes: an allow-list of what is safe, rather than a deny-list of what is not, so a range
 * we forgot is refused instead of fetched. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is judged as
 * the IPv4 address it is; the returned `address` is that normalised form, the one to connect to.
 *
 * @example
 * checkAddress('::ffff:7f00:1') // { allowed: false, address: '127.0.0.1', family: 4, reason: 'loopback' }
 */
export function checkAddress(raw: string): AddressVerdict {
  const unbracketed = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (!ipaddr.isValid(unbracketed)) throw new TypeError(`'${raw}' is not an IP address`);
  const parsed = ipaddr.process(unbracketed);
  const address = parsed.toString();
  const family = parsed.kind() === 'ipv4' ? 4 : 6;
  if (METADATA_ADDRESSES.has(address)) return { allowed: false, address, family, reason: 'metadata' };
  // ::a.b.c.d, the deprecated IPv4-compatible form (RFC 4291 §2.5.5.1): ipaddr.js calls it unicast.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) {
    const range = parsed.range();
    return { allowed: false, address, family, reason: range === 'loopback' || range === 'unspecified' ? range : 'ipv4-embedded' };
  }
  const range = parsed.range();
  if (range === 'unicast') return { allowed: true, address, family };
  return { allowed: false, address, family, reason: REASON_BY_RANGE[range] ?? 'reserved' };
}

/** Whether the string is an IP address literal in canonical dotted or colon form (what `new URL` leaves). */
export function isIpLiteral(host: string): boolean {
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return ipaddr.IPv4.isValidFourPartDecimal(unbracketed) || ipaddr.IPv6.isValid(unbracketed);
}

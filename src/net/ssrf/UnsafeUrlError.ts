import { KontextError } from '../../errors/KontextError.js';

/** Why a URL was not fetched. */
export type UnsafeUrlReason =
  | 'invalid-url'
  | 'scheme'
  | 'credentials'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'unique-local'
  | 'site-local'
  | 'carrier-grade-nat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'ipv4-embedded'
  | 'reserved'
  | 'too-many-redirects';

/**
 * An image URL that will not be fetched because of where it points (HTTP 422). The address
 * a name resolved to is kept on the error for the server log but never sent to the client:
 * it would let anyone map our internal DNS.
 */
export class UnsafeUrlError extends KontextError {
  readonly reason: UnsafeUrlReason;
  readonly host: string | undefined;
  readonly address: string | undefined;

  constructor(reason: UnsafeUrlReason, message: string, options: { host?: string; address?: string; field?: string } = {}) {
    super('UNSAFE_URL', message, { details: { field: options.field ?? 'image_url', reason, ...(options.host === undefined ? {} : { host: options.host }) } });
    this.reason = reason;
    this.host = options.host;
    this.address = options.address;
  }
}

import { KontextError } from '../../errors/KontextError.js';

/** A request body over the route's limit (HTTP 413). Same code as the archive's BlobTooLargeError. */
export class PayloadTooLargeError extends KontextError {
  constructor(readonly maxBytes: number, what = 'request body') {
    super('TOO_LARGE', `${what} is larger than the limit of ${maxBytes} bytes`, { details: { maxBytes } });
  }
}

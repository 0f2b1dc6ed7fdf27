import { KontextError } from '../errors/KontextError.js';

/** More bytes arrived than the archive accepts for one image. */
export class BlobTooLargeError extends KontextError {
  constructor(readonly maxBytes: number) {
    super('TOO_LARGE', `image is larger than the limit of ${maxBytes} bytes`, { details: { maxBytes } });
  }
}

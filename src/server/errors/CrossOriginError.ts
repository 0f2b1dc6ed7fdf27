import { KontextError } from '../../errors/KontextError.js';

/**
 * A request to the token-less loopback server that a web page on another origin (or a DNS
 * rebinding of one) made from the user's browser: refused with HTTP 403.
 */
export class CrossOriginError extends KontextError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

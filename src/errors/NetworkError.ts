import { KontextError } from './KontextError.js';

/** The connection failed before the provider could have accepted anything. */
export class NetworkError extends KontextError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('NETWORK', message, { cause: options.cause });
  }
}

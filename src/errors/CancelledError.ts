import { KontextError } from './KontextError.js';

/** The caller aborted, or the job was cancelled on the provider. */
export class CancelledError extends KontextError {
  constructor(message = 'cancelled', options: { requestId?: string; cause?: unknown } = {}) {
    super('CANCELLED', message, { cause: options.cause, details: options.requestId ? { requestId: options.requestId } : undefined });
  }
}

import { KontextError } from './KontextError.js';

/**
 * The provider no longer knows the job (BFL: `Task not found`): its result, if it had one, is
 * gone. Not a plain PROVIDER failure, because nothing can fetch it any more.
 */
export class ExpiredJobError extends KontextError {
  readonly requestId: string;

  constructor(requestId: string, message: string, options: { detail?: unknown } = {}) {
    super('EXPIRED', message, { details: { requestId, detail: options.detail } });
    this.requestId = requestId;
  }
}

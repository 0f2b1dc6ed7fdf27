import { KontextError } from './KontextError.js';

/**
 * The provider answered with an error: a 4xx/5xx, a failed job, or a malformed result.
 * `detail` is the server's own explanation (fal's 422 body lists `{loc, msg, type}`).
 */
export class ProviderError extends KontextError {
  readonly status: number | undefined;
  readonly detail: unknown;
  readonly requestId: string | undefined;

  constructor(message: string, options: { status?: number; detail?: unknown; requestId?: string; cause?: unknown } = {}) {
    super('PROVIDER', message, {
      cause: options.cause,
      details: { status: options.status, detail: options.detail, requestId: options.requestId },
    });
    this.status = options.status;
    this.detail = options.detail;
    this.requestId = options.requestId;
  }
}

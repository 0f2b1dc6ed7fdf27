import { KontextError } from './KontextError.js';

/**
 * The database stayed locked by another process for longer than busy_timeout. Nothing was
 * written; the same call may succeed a moment later, so the server answers 429 with
 * `Retry-After` rather than a 5xx.
 */
export class StoreBusyError extends KontextError {
  constructor(options: { cause?: unknown } = {}) {
    super('BUSY', 'the database is locked by another process; nothing was written, try again in a moment', { cause: options.cause });
  }
}

import { KontextError } from './KontextError.js';

/**
 * The database could not take the call now: SQLite stayed locked by another process for longer
 * than busy_timeout, or PostgreSQL stayed unreachable (restarting, connection lost) or hit its
 * statement timeout through the store's retries. The same call may succeed a moment later, so
 * the server answers 429 with `Retry-After` rather than a 5xx.
 */
export class StoreBusyError extends KontextError {
  constructor(options: { cause?: unknown; message?: string } = {}) {
    super('BUSY', options.message ?? 'the database is locked by another process; nothing was written, try again in a moment', { cause: options.cause });
  }
}

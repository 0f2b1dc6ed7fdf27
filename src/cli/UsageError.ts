import { KontextError } from '../errors/KontextError.js';

/**
 * The command line itself is wrong in a way no schema covers: a missing argument combination
 * (`branch -m` with one name), no session selected, a flag value that is not a number.
 * Exits with status 2, like every other usage and validation error.
 */
export class UsageError extends KontextError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('USAGE', message, { details });
  }
}

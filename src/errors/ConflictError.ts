import { KontextError } from './KontextError.js';

/** The request is well-formed but conflicts with the current state (e.g. an illegal status change). */
export class ConflictError extends KontextError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, { details });
  }
}

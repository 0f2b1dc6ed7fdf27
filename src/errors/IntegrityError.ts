import { KontextError } from './KontextError.js';

/** Stored or imported bytes do not match what they claim to be (hash mismatch, corrupt bundle). */
export class IntegrityError extends KontextError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INTEGRITY', message, { details });
  }
}

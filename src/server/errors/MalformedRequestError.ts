import { KontextError } from '../../errors/KontextError.js';

/**
 * The request could not be read at all (JSON that does not parse, a broken multipart body, a
 * missing or wrong Content-Type): HTTP 400. Well-formed input with wrong values is a
 * ValidationError (422) instead, which lists every field.
 */
export class MalformedRequestError extends KontextError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('MALFORMED', message, { details });
  }
}

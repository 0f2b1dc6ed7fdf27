import { AuthError } from '../../errors/AuthError.js';

/**
 * The client's bearer token is missing or unknown (HTTP 401). A subclass of AuthError so the
 * code stays `AUTH`, but distinct from an AuthError a provider raises about *our* key, which
 * is the server's problem (502), not the caller's.
 */
export class UnauthorizedError extends AuthError {
  constructor(message = 'missing or unknown bearer token; send Authorization: Bearer <token>') {
    super(message);
  }
}

import { KontextError } from './KontextError.js';

/** The provider refused the credentials (HTTP 401/403), or none were given. */
export class AuthError extends KontextError {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super('AUTH', message, { details: status === undefined ? undefined : { status } });
    this.status = status;
  }
}

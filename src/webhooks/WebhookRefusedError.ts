import { UnauthorizedError } from '../server/errors/UnauthorizedError.js';

/**
 * A provider webhook whose signature, headers or timestamp do not check out (HTTP 401, code
 * AUTH): nothing was changed. The message says what was wrong, never a secret or a key.
 */
export class WebhookRefusedError extends UnauthorizedError {
  constructor(provider: string, problem: string) {
    super(`refused ${provider} webhook: ${problem}`);
  }
}

import { KontextError } from './KontextError.js';

/**
 * The submit's body was sent but no answer came back: the provider may have accepted
 * (and will bill) the job. Repeating it could pay twice, so we never do it blindly;
 * the caller decides.
 */
export class AmbiguousSubmitError extends KontextError {
  constructor(endpointId: string, options: { cause?: unknown } = {}) {
    super(
      'AMBIGUOUS_SUBMIT',
      `submit to ${endpointId} may have been accepted but no answer arrived; it was not repeated, to avoid paying twice`,
      { cause: options.cause, details: { endpointId } },
    );
  }
}

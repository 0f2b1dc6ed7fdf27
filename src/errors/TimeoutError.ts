import { KontextError } from './KontextError.js';

export type TimeoutPhase = 'connect' | 'response' | 'job' | 'download' | 'upload';

/** A deadline passed. `phase` says which one, so a caller knows whether anything may have run. */
export class TimeoutError extends KontextError {
  readonly phase: TimeoutPhase;
  readonly timeoutMs: number;
  constructor(phase: TimeoutPhase, timeoutMs: number, options: { requestId?: string; cause?: unknown } = {}) {
    super('TIMEOUT', `${phase} timeout after ${timeoutMs} ms`, {
      cause: options.cause,
      details: { phase, timeoutMs, requestId: options.requestId },
    });
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

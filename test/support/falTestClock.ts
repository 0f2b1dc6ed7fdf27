import type { Clock } from '../../src/util/clock.js';

/**
 * A clock whose sleeps return at once and are recorded, so tests can assert how long the
 * client chose to wait (backoff, Retry-After) without waiting for it.
 */
export class RecordingClock implements Clock {
  /** Every requested sleep, in ms, in order. */
  readonly sleeps: number[] = [];
  private current: number;

  constructor(start = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.current += ms;
    // Yield, as a real sleep would, so other work (the server) can run.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

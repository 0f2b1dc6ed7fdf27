import { RateLimitError } from '../errors/RateLimitError.js';

/**
 * Turns the server runs in the background (202 responses), per owner. Caps how many one owner
 * may have in flight — each may cost money and holds a provider slot — and lets shutdown wait
 * for them to settle.
 */
export class TurnTracker {
  private readonly counts = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly maxPerOwner: number, private readonly log: (line: string) => void) {}

  /** Takes a slot for `owner` or throws RateLimitError (429). Call the returned function exactly once to give it back. */
  reserve(owner: string | null): () => void {
    const key = owner ?? '';
    const count = this.counts.get(key) ?? 0;
    if (count >= this.maxPerOwner) {
      throw new RateLimitError(`${count} turns are already running for this owner; the limit is ${this.maxPerOwner}. Wait for one to finish.`, 1000);
    }
    this.counts.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left <= 0) this.counts.delete(key);
      else this.counts.set(key, left);
    };
  }

  /** Runs `work` under a slot already reserved, releasing it when `work` settles; its result or error is the caller's. */
  run<T>(release: () => void, work: () => Promise<T>): Promise<T> {
    const promise = (async () => {
      try {
        return await work();
      } finally {
        release();
      }
    })();
    const tracked = promise.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
    return promise;
  }

  /** Like run, for work nobody waits for: a failure is logged, not thrown. */
  background(release: () => void, what: string, work: () => Promise<unknown>): void {
    this.run(release, work).catch((error: unknown) => {
      // The engine records a turn's failure on the turn itself; what reaches here is the
      // store being closed under us at shutdown, which leaves the turn resumable.
      this.log(`${what}: ${(error as Error).message}`);
    });
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Waits until every background turn has settled, or `timeoutMs` passed. True when none is left. */
  async settle(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    const all = Promise.allSettled([...this.running]).then(() => true as const);
    const done = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return done && this.running.size === 0;
  }
}

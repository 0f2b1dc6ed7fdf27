/**
 * A counting limit on jobs in flight per key, with a total over all keys: BFL refuses more
 * than 24 active jobs an account, 6 of them Kontext [max], and a refusal after the budget
 * was reserved is a failed turn. Waiters are served first come, first served.
 */
export class InFlightLimiter {
  private readonly active = new Map<string, number>();
  private total = 0;
  private readonly waiters: { key: string; limit: number; grant: () => void }[] = [];

  constructor(readonly totalLimit: number) {}

  inFlight(key?: string): number {
    return key === undefined ? this.total : (this.active.get(key) ?? 0);
  }

  /** Resolves with a release (safe to call twice) once a slot for `key` under `limit` is free. */
  async acquire(key: string, limit: number, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.waiters.length === 0 && this.fits(key, limit)) return this.take(key);
    return new Promise((resolve, reject) => {
      const waiter = {
        key,
        limit,
        // Taken in the same tick as the release that freed it, so nobody else can fill it first.
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.take(key));
        },
      };
      const onAbort = () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private fits(key: string, limit: number): boolean {
    return this.total < this.totalLimit && (this.active.get(key) ?? 0) < limit;
  }

  private take(key: string): () => void {
    this.total++;
    this.active.set(key, (this.active.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      this.active.set(key, this.active.get(key)! - 1);
      this.grantNext();
    };
  }

  private grantNext(): void {
    // The first waiter that fits goes; a [max] waiter at its cap does not hold up a [pro] one.
    for (let i = 0; i < this.waiters.length; i++) {
      const waiter = this.waiters[i]!;
      if (this.fits(waiter.key, waiter.limit)) {
        this.waiters.splice(i, 1);
        waiter.grant();
        return;
      }
    }
  }
}

import { CancelledError } from '../errors/CancelledError.js';

/** How many places at the front of the local queue hear each change of position. */
export const ANNOUNCED_POSITIONS = 10;

interface Waiter {
  key: string;
  grant: () => void;
  onPosition?: (position: number) => void;
}

/**
 * A global limit on provider requests in flight, shared fairly: when a slot frees up it
 * goes to the next session in round-robin order, so one session with 50 queued edits
 * cannot starve another with one.
 */
export class FairScheduler {
  private active = 0;
  private readonly queues = new Map<string, Waiter[]>();
  /** Round-robin order of keys with waiters. */
  private readonly order: string[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`maxInFlight must be a whole number ≥ 1, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /**
   * Resolves with a release function once a slot is free. `onPosition` hears the waiter's
   * place in the local queue (1 = next) whenever it changes.
   */
  acquire(key: string, options: { signal?: AbortSignal; onPosition?: (position: number) => void } = {}): Promise<() => void> {
    if (this.active < this.limit && this.waiting === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        key,
        onPosition: options.onPosition,
        grant: () => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const queue = this.queues.get(key);
        const at = queue?.indexOf(waiter) ?? -1;
        if (queue && at >= 0) {
          queue.splice(at, 1);
          if (queue.length === 0) this.dropKey(key);
        }
        this.announcePositions();
        reject(new CancelledError('cancelled while queued locally'));
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const queue = this.queues.get(key);
      if (queue) queue.push(waiter);
      else {
        this.queues.set(key, [waiter]);
        this.order.push(key);
      }
      this.announcePositions(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.next();
    };
  }

  private next(): void {
    while (this.active < this.limit && this.order.length > 0) {
      const key = this.order.shift()!;
      const queue = this.queues.get(key)!;
      const waiter = queue.shift()!;
      if (queue.length === 0) this.queues.delete(key);
      else this.order.push(key);
      this.active++;
      waiter.grant();
    }
    this.announcePositions();
  }

  private dropKey(key: string): void {
    this.queues.delete(key);
    const at = this.order.indexOf(key);
    if (at >= 0) this.order.splice(at, 1);
  }

  /**
   * Positions follow the round-robin order the slots will actually be handed out in. Only the
   * first {@link ANNOUNCED_POSITIONS} waiters hear about a slot being handed out, and a new
   * waiter hears its own place: announcing every place on every release made a queue of n cost n² events.
   */
  private announcePositions(newcomer?: Waiter): void {
    const cursors = this.order.map((key) => ({ queue: this.queues.get(key)!, at: 0 }));
    let position = 1;
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const cursor of cursors) {
        const waiter = cursor.queue[cursor.at++];
        if (!waiter) continue;
        progressed = true;
        if (newcomer) {
          // Joining the queue tells the newcomer its place and moves nobody ahead of it.
          if (waiter === newcomer) return waiter.onPosition?.(position);
        } else {
          waiter.onPosition?.(position);
          if (position >= ANNOUNCED_POSITIONS) return;
        }
        position++;
      }
    }
  }
}

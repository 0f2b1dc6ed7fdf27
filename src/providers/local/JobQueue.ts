import { CancelledError } from '../../errors/CancelledError.js';

interface Waiter {
  grant: (release: () => void) => void;
  onPosition: (position: number) => void;
}

/**
 * At most `concurrency` renders at once, the rest in line. Renders are CPU-bound, so running
 * more than the machine has cores only makes every one of them later; a visible queue
 * position also makes the local provider report progress the way fal's queue does.
 */
export class JobQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly concurrency: number) {}

  /**
   * Waits for a free slot and resolves with its release function (call it exactly once).
   * `onPosition` hears how many jobs wait ahead of this one, as fal counts its queue (0: it
   * runs next, or at once): on entry, and again whenever the line moves.
   *
   * @throws CancelledError when `signal` aborts while waiting
   */
  async enter(onPosition: (position: number) => void, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new CancelledError('cancelled while queued', { cause: signal.reason });
    if (this.running < this.concurrency) {
      onPosition(0);
      this.running++;
      return this.releaser();
    }
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        onPosition,
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        this.announceFrom(at);
        reject(new CancelledError('cancelled while queued', { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      onPosition(this.waiting.length - 1);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) {
        // The slot passes straight to the next in line, so `running` stays as it is.
        next.grant(this.releaser());
        this.announceFrom(0);
      } else {
        this.running--;
      }
    };
  }

  private announceFrom(index: number): void {
    for (let i = Math.max(0, index); i < this.waiting.length; i++) this.waiting[i]!.onPosition(i);
  }
}

import type { Clock } from '../../../src/util/clock.js';

/** A clock that only moves when the test says so; sleepers wake when their time is reached. */
export function manualClock(start = 1_700_000_000_000): Clock & { advance(ms: number): void; sleepers(): number } {
  let now = start;
  const sleeping = new Set<{ until: number; wake: () => void }>();
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const sleeper = {
          until: now + ms,
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          sleeping.delete(sleeper);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleeping.add(sleeper);
      }),
    advance(ms) {
      now += ms;
      for (const sleeper of [...sleeping]) {
        if (sleeper.until <= now) {
          sleeping.delete(sleeper);
          sleeper.wake();
        }
      }
    },
    sleepers: () => sleeping.size,
  };
}

/** Resolves once `condition` holds, checking after each turn of the event loop. */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

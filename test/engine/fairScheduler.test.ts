import { describe, expect, it } from 'vitest';
import { ANNOUNCED_POSITIONS, FairScheduler } from '../../src/engine/FairScheduler.js';
import { CancelledError } from '../../src/errors/index.js';

describe('FairScheduler', () => {
  it('hands freed slots to sessions in round-robin order', async () => {
    const scheduler = new FairScheduler(1);
    const first = await scheduler.acquire('busy');
    const granted: string[] = [];
    const take = (key: string, label: string) => scheduler.acquire(key).then((release) => (granted.push(label), release()));
    const waits = [take('busy', 'busy0'), take('busy', 'busy1'), take('busy', 'busy2'), take('quiet', 'quiet')];
    first();
    await Promise.all(waits);
    // The quiet session's single turn does not wait behind the busy session's backlog.
    expect(granted.indexOf('quiet')).toBe(1);
    expect(scheduler.inFlight).toBe(0);
  });

  it('tells only the front of a long queue about each move, so events grow linearly', async () => {
    const scheduler = new FairScheduler(1);
    const hold = await scheduler.acquire('a');
    let events = 0;
    const n = 200;
    const waits = Array.from({ length: n }, (_, i) => scheduler.acquire(`s${i}`, { onPosition: () => events++ }));
    hold();
    for (const wait of waits) (await wait)();
    expect(events).toBeLessThanOrEqual(n + n * ANNOUNCED_POSITIONS);
    expect(events).toBeGreaterThanOrEqual(n);
  });

  it('a waiter aborted while queued is removed and gets CancelledError', async () => {
    const scheduler = new FairScheduler(1);
    const hold = await scheduler.acquire('a');
    const controller = new AbortController();
    const waiting = scheduler.acquire('b', { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(scheduler.waiting).toBe(0);
    hold();
  });
});

import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../../src/errors/index.js';
import { JobQueue } from '../../../src/providers/local/JobQueue.js';

describe('JobQueue', () => {
  it('runs up to `concurrency` at once and hands slots on in order', async () => {
    const queue = new JobQueue(2);
    const heard: Record<string, number[]> = { a: [], b: [], c: [], d: [] };
    const releaseA = await queue.enter((p) => heard.a!.push(p));
    const releaseB = await queue.enter((p) => heard.b!.push(p));
    const order: string[] = [];
    const c = queue.enter((p) => heard.c!.push(p)).then((release) => (order.push('c'), release));
    const d = queue.enter((p) => heard.d!.push(p)).then((release) => (order.push('d'), release));
    releaseB();
    releaseB(); // a second call must not free a second slot
    (await c)();
    releaseA();
    (await d)();
    expect(order).toEqual(['c', 'd']);
    expect(heard).toEqual({ a: [0], b: [0], c: [0], d: [1, 0] });
  });

  it('a waiter whose signal aborts leaves the line, and those behind it move up', async () => {
    const queue = new JobQueue(1);
    const release = await queue.enter(() => undefined);
    const controller = new AbortController();
    const heard: number[] = [];
    const first = queue.enter(() => undefined, controller.signal);
    const second = queue.enter((p) => heard.push(p));
    controller.abort();
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    release();
    (await second)();
    expect(heard).toEqual([1, 0]);
  });
});

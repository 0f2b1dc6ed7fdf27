import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/engine/EventBus.js';

const succeeded = (sessionId: string, turnId: string) => ({ type: 'turn.succeeded' as const, sessionId, turnId, status: 'succeeded' as const });

describe('EventBus history', () => {
  it('replays a session after a given id, oldest first, with ids and times added', () => {
    const bus = new EventBus(1000, () => 42);
    const first = bus.emit(succeeded('s1', 't1'));
    bus.emit(succeeded('s2', 't2'));
    const third = bus.emit(succeeded('s1', 't3'));
    expect(bus.since('s1').map((e) => e.turnId)).toEqual(['t1', 't3']);
    expect(bus.since('s1', first.id)).toEqual([{ type: 'turn.succeeded', sessionId: 's1', turnId: 't3', status: 'succeeded', id: third.id, at: 42 }]);
  });

  it('replays at most the last historyPerSession events of a session', () => {
    const bus = new EventBus(3);
    for (let i = 0; i < 5; i++) bus.emit(succeeded('s1', `t${i}`));
    expect(bus.since('s1').map((e) => e.turnId)).toEqual(['t2', 't3', 't4']);
  });

  it('keeps at most historyTotal events across sessions, so sessions served long ago are forgotten', () => {
    const bus = new EventBus(1000, Date.now, 100);
    for (let s = 0; s < 50; s++) for (let t = 0; t < 5; t++) bus.emit(succeeded(`s${s}`, `t${t}`));
    const kept = Array.from({ length: 50 }, (_, s) => bus.since(`s${s}`).length);
    expect(kept.reduce((a, b) => a + b, 0)).toBe(100);
    // The newest 100 events are those of the last 20 sessions, whole.
    expect(kept.slice(0, 30).every((n) => n === 0)).toBe(true);
    expect(kept.slice(30).every((n) => n === 5)).toBe(true);
  });

  it('one busy session replays no more than its bound, and the quiet ones keep their recent events', () => {
    const bus = new EventBus(2, Date.now, 10);
    for (let i = 0; i < 5000; i++) bus.emit(succeeded(i % 3 === 0 ? 'busy' : `quiet${i}`, `t${i}`));
    const total = bus.since('busy').length + Array.from({ length: 5000 }, (_, i) => bus.since(`quiet${i}`).length).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(10);
    expect(bus.since('busy').length).toBeLessThanOrEqual(2);
    expect(bus.since('quiet4999').map((e) => e.turnId)).toEqual(['t4999']);
  });

  it('a listener that throws neither breaks the emit nor stops the other listeners', () => {
    const bus = new EventBus();
    const heard: string[] = [];
    bus.subscribe(() => {
      throw new Error('listener bug');
    });
    bus.subscribe((e) => heard.push(e.turnId ?? ''), { sessionId: 's1' });
    bus.emit(succeeded('s2', 'other'));
    expect(() => bus.emit(succeeded('s1', 't1'))).not.toThrow();
    expect(heard).toEqual(['t1']);
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { EventBus } from '../../src/engine/EventBus.js';
import type { EngineEvent, GapEvent } from '../../src/engine/events.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { testImage } from '../support/images.js';

async function setup() {
  const gated = gatedProvider(createLocalProvider());
  const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [gated.provider] });
  const session = await engine.startSession({ image: { bytes: await testImage() } });
  return { engine, gated, session };
}

/** Reads until `count` events are in, or the iterator ends. */
async function take(events: AsyncIterator<EngineEvent | GapEvent>, until: (e: EngineEvent | GapEvent) => boolean): Promise<(EngineEvent | GapEvent)[]> {
  const seen: (EngineEvent | GapEvent)[] = [];
  for (let next = await events.next(); !next.done; next = await events.next()) {
    seen.push(next.value);
    if (until(next.value)) break;
  }
  return seen;
}

describe('subscribe()', () => {
  it('listens from the moment it is called: subscribe, await a whole edit, then iterate, and every event is there', async () => {
    const { engine, session } = await setup();
    const events = engine.subscribe({ sessionId: session.id });
    const turn = await engine.edit(session.id, 'make it red', { seed: 1 });
    const seen = await take(events, (e) => e.type === 'turn.succeeded');
    await events.return?.();
    const kinds = seen.map((e) => e.type).filter((type, i, all) => type !== all[i - 1]);
    expect(kinds).toEqual(['turn.created', 'head.moved', 'turn.submitted', 'turn.queued', 'turn.running', 'turn.succeeded']);
    expect(seen.every((e) => e.type === 'gap' || e.turnId === turn.id)).toBe(true);
  });

  it('a consumer that falls behind its buffer gets one gap event counting what was dropped, then the later events', async () => {
    const bus = new EventBus();
    const events = bus.stream({ sessionId: 's', bufferSize: 3 });
    for (let i = 0; i < 10; i++) bus.emit({ type: 'head.moved', sessionId: 's', turnId: `t${i}` });
    const early = [await events.next(), await events.next(), await events.next(), await events.next()].map((r) => r.value);
    expect(early.slice(0, 3).map((e) => (e as EngineEvent).turnId)).toEqual(['t0', 't1', 't2']);
    expect(early[3]).toEqual({ type: 'gap', missed: 7 });
    bus.emit({ type: 'head.moved', sessionId: 's', turnId: 'after' });
    expect(((await events.next()).value as EngineEvent).turnId).toBe('after');
    await events.return();
    // Ended: no listener left behind, and next() says done.
    bus.emit({ type: 'head.moved', sessionId: 's', turnId: 'late' });
    expect((await events.next()).done).toBe(true);
  });

  it('ends when its signal aborts, and resolves a waiting next()', async () => {
    const bus = new EventBus();
    const controller = new AbortController();
    const events = bus.stream({ signal: controller.signal });
    const waiting = events.next();
    controller.abort();
    expect((await waiting).done).toBe(true);
  });
});

describe('startEdit(): a turn handle', () => {
  it('hands back the written turn at once; result() waits for the end; events() runs from turn.created to the final event', async () => {
    const { engine, gated, session } = await setup();
    gated.hold('slow');
    const handle = await engine.startEdit(session.id, 'make it red [slow]', { seed: 1 });
    expect(handle.turn.status).toBe('pending');
    gated.release('slow');
    const done = await handle.result();
    expect(done).toMatchObject({ id: handle.turn.id, status: 'succeeded' });
    // Iterated only now, after the end: nothing was lost, and the iterator ends by itself.
    const types: string[] = [];
    for await (const event of handle.events()) types.push(event.type);
    expect(types[0]).toBe('turn.created');
    expect(types.at(-1)).toBe('turn.succeeded');
    // A second call replays the same turn's events from the kept history.
    const again: string[] = [];
    for await (const event of handle.events()) again.push(event.type);
    expect(again).toEqual(types);
  });

  it('cancel() ends it as cancelled', async () => {
    const { engine, gated, session } = await setup();
    gated.hold('slow');
    const handle = await engine.startEdit(session.id, 'make it red [slow]', { seed: 1 });
    expect((await handle.cancel()).status).toBe('cancelled');
    expect((await handle.result()).status).toBe('cancelled');
  });
});

describe('a follow-up typed while its parent runs', () => {
  it('is written at once, queued as waiting for its parent, and continues from the parent’s result', async () => {
    const { engine, gated, session } = await setup();
    gated.hold('slow');
    const parent = await engine.startEdit(session.id, 'make it red [slow]', { seed: 1 });
    const events = engine.subscribe({ sessionId: session.id });
    // beginEdit resolves while the parent is still held: ordering, not timing.
    const child = await engine.beginEdit(session.id, 'make it night', { seed: 2 });
    expect((await engine.getTurn(parent.turn.id)).status).not.toBe('succeeded');
    expect(child).toMatchObject({ parentId: parent.turn.id, status: 'pending', inputBlob: null });
    const finishing = engine.finish(child);
    const queued = await take(events, (e) => e.type === 'turn.queued');
    expect(queued.at(-1)).toMatchObject({ type: 'turn.queued', turnId: child.id, waitingFor: parent.turn.id });
    await events.return();
    gated.release('slow');
    const [p, c] = [await parent.result(), await finishing];
    expect(c).toMatchObject({ status: 'succeeded', parentId: p.id, inputBlob: p.outputs[0]!.blobHash });
    expect(gated.submitted).toEqual(['make it red [slow]', 'make it night']);
  });
});

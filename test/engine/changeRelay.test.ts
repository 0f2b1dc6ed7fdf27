import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { SqliteChangeFeed, type PollTimer } from '../../src/store/sqlite/SqliteChangeFeed.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';

function manualTimer() {
  const callbacks = new Set<() => void>();
  const timer: PollTimer = {
    setInterval: (callback) => (callbacks.add(callback), callback),
    clearInterval: (handle) => void callbacks.delete(handle as () => void),
  };
  return { timer, tick: () => callbacks.forEach((callback) => callback()) };
}

/** Lets the relay read what a tick reported (its reads are queued promises). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** An engine over `file` with its own connection, as another process would have. */
function engineOver(file: string, dir: string, options: { feed?: SqliteChangeFeed } = {}) {
  const gated = gatedProvider(createLocalProvider());
  const store = SessionStore.open(file);
  const engine = new SessionEngine({ store, blobs: new FileBlobStore(join(dir, 'blobs')), providers: [gated.provider], changeFeed: options.feed, owns: [store, ...(options.feed ? [options.feed] : [])] });
  onTestFinished(() => engine.close());
  return { engine, gated };
}

function record(engine: SessionEngine): EngineEvent[] {
  const seen: EngineEvent[] = [];
  engine.events.subscribe((event) => seen.push(event));
  return seen;
}

const shape = (events: EngineEvent[]) => events.map((e) => (e.type === 'head.moved' ? `head.moved→${e.turnId}` : `${e.type}:${e.turnId}`));

/** Another engine with a session, and this engine over the same file, its feed ticked by hand, recording its bus. */
async function besideAnotherEngine() {
  const dir = testTempDir();
  const file = join(dir, 'kontext.db');
  const other = engineOver(file, dir);
  const session = await other.engine.startSession({ image: { bytes: await testImage() } });
  const clock = manualTimer();
  const here = engineOver(file, dir, { feed: new SqliteChangeFeed(file, { timer: clock.timer }) });
  return { other, session, clock, here, seen: record(here.engine) };
}

describe('ChangeRelay', () => {
  it("tells another engine's edit on this engine's bus: created, HEAD, submitted, succeeded, each once and in order", async () => {
    const { other, session, clock, here, seen } = await besideAnotherEngine();

    other.gated.hold('slow');
    const handle = await other.engine.startEdit(session.id, 'make it red [slow]');
    clock.tick();
    await settle();
    // Wait until the other engine has stored its submit, as a poll would find it.
    while ((await here.engine.store.getTurn(handle.turn.id)).status === 'pending') await settle();
    clock.tick();
    await settle();
    other.gated.release('slow');
    await handle.result();
    clock.tick();
    await settle();
    clock.tick();
    await settle();

    const id = handle.turn.id;
    expect(shape(seen)).toEqual([`turn.created:${id}`, `head.moved→${id}`, `turn.submitted:${id}`, `turn.succeeded:${id}`]);
    expect(seen[0]).toMatchObject({ parentId: session.headTurnId, prompt: 'make it red [slow]', status: 'pending', sessionId: session.id });
  });

  it("tells another engine's failed turn with its reason, and HEAD going back to the last good turn", async () => {
    const { other, session, clock, here, seen } = await besideAnotherEngine();

    other.gated.hold('gate');
    const handle = await other.engine.startEdit(session.id, 'fail on purpose [gate]');
    clock.tick();
    await settle();
    other.gated.release('gate');
    await handle.result();
    clock.tick();
    await settle();

    const id = handle.turn.id;
    expect(shape(seen)).toEqual([`turn.created:${id}`, `head.moved→${id}`, `head.moved→${session.headTurnId}`, `turn.failed:${id}`]);
    expect(seen.at(-1)).toMatchObject({ status: 'failed', error: { code: 'PROVIDER', message: expect.stringContaining('on purpose') } });
  });

  it('does not double the events of turns this engine runs itself, however often the feed polls', async () => {
    const dir = testTempDir();
    const file = join(dir, 'kontext.db');
    // A real timer at 2 ms: the feed sees every write of this engine's own turns as they happen.
    const here = engineOver(file, dir, { feed: new SqliteChangeFeed(file, { intervalMs: 2 }) });
    const session = await here.engine.startSession({ image: { bytes: await testImage() } });
    const seen = record(here.engine);
    here.gated.hold('slow');
    const slow = await here.engine.startEdit(session.id, 'make it red [slow]');
    await settle();
    here.gated.release('slow');
    const first = await slow.result();
    const failed = await here.engine.edit(session.id, 'fail now');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const count = (type: string, turnId: string) => seen.filter((e) => e.type === type && e.turnId === turnId).length;
    expect([count('turn.created', first.id), count('turn.submitted', first.id), count('turn.succeeded', first.id)]).toEqual([1, 1, 1]);
    expect(failed.status).toBe('failed');
    expect([count('turn.created', failed.id), count('turn.failed', failed.id)]).toEqual([1, 1]);
    expect(seen.filter((e) => e.type === 'head.moved')).toHaveLength(3);
  });
});

import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { TurnChange } from '../../src/store/ChangeFeed.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { SqliteChangeFeed, type PollTimer } from '../../src/store/sqlite/SqliteChangeFeed.js';
import { testTempDir } from '../support/testTempDir.js';

/** A timer that fires only when the test says so, and says whether one is set. */
function manualTimer() {
  const callbacks = new Map<number, () => void>();
  let next = 1;
  const timer: PollTimer = {
    setInterval: (callback) => {
      const handle = next++;
      callbacks.set(handle, callback);
      return handle;
    },
    clearInterval: (handle) => void callbacks.delete(handle as number),
  };
  return { timer, tick: () => [...callbacks.values()].forEach((callback) => callback()), get armed() { return callbacks.size; } };
}

/** A database file, a writer on it (standing in for another process) and a feed over it. */
function setup() {
  const file = join(testTempDir(), 'kontext.db');
  const writer = SessionStore.open(file);
  onTestFinished(() => writer.close());
  const clock = manualTimer();
  const feed = new SqliteChangeFeed(file, { timer: clock.timer, onError: (error) => { throw error; } });
  onTestFinished(() => feed.close());
  const seen: TurnChange[] = [];
  return { file, writer, clock, feed, seen, listen: () => feed.subscribe((change) => seen.push(change)) };
}

async function sessionWithRoot(writer: SessionStore) {
  return writer.createSessionFromPrompt({ defaultEndpoint: 'local/kontext-sim' }, { kind: 'text', prompt: 'a kitchen', endpointId: 'local/kontext-sim/text-to-image', provider: 'local' });
}

describe('SqliteChangeFeed', () => {
  it('reports a turn another connection inserts, once, at the next tick and not before', async () => {
    const { writer, clock, seen, listen } = setup();
    listen();
    const { session, root } = await sessionWithRoot(writer);
    expect(seen).toEqual([]);
    clock.tick();
    expect(seen).toEqual([{ sessionId: session.id, turnId: root.id }]);
    clock.tick();
    expect(seen).toHaveLength(1);
  });

  it('reports each status move of an in-flight turn, and its end once it leaves the in-flight set', async () => {
    const { writer, clock, seen, listen } = setup();
    const { session, root } = await sessionWithRoot(writer);
    listen();
    clock.tick();
    expect(seen).toEqual([]);
    await writer.transitionTurn(root.id, 'submitted', { requestId: 'r1' });
    clock.tick();
    await writer.transitionTurn(root.id, 'running');
    clock.tick();
    await writer.endUnfinishedTurn(root.id, 'failed', { errorCode: 'PROVIDER', errorMessage: 'boom' });
    clock.tick();
    clock.tick();
    expect(seen).toEqual([1, 2, 3].map(() => ({ sessionId: session.id, turnId: root.id })));
  });

  it('coalesces what happened to one turn between two ticks into one change', async () => {
    const { writer, clock, seen, listen } = setup();
    listen();
    const { root } = await sessionWithRoot(writer);
    await writer.transitionTurn(root.id, 'submitted', { requestId: 'r1' });
    await writer.transitionTurn(root.id, 'running');
    clock.tick();
    expect(seen.map((c) => c.turnId)).toEqual([root.id]);
  });

  it('does not report writes that change no turn, nor turns written before it started listening', async () => {
    const { writer, clock, seen, listen } = setup();
    const { session } = await sessionWithRoot(writer);
    listen();
    await writer.updateSession(session.id, { title: 'renamed' });
    clock.tick();
    expect(seen).toEqual([]);
  });

  it('finds a turn inserted after the newest one was deleted (its rowid is reused)', async () => {
    const { writer, clock, seen, listen } = setup();
    const first = await sessionWithRoot(writer);
    listen();
    const second = await sessionWithRoot(writer);
    clock.tick();
    await writer.deleteSession(second.session.id);
    clock.tick();
    const third = await sessionWithRoot(writer);
    clock.tick();
    expect(seen.map((c) => c.turnId)).toEqual([second.root.id, second.root.id, third.root.id]);
    // Deleted and reported as such (the relay finds no turn); the first session was never news.
    expect(seen.some((c) => c.sessionId === first.session.id)).toBe(false);
  });

  it('polls only while someone subscribes, and starts from what is there when it starts again', async () => {
    const { writer, clock, feed, seen, listen } = setup();
    expect(feed.polling).toBe(false);
    const stopA = listen();
    const stopB = listen();
    expect(clock.armed).toBe(1);
    stopA();
    expect(feed.polling).toBe(true);
    stopB();
    expect(feed.polling).toBe(false);
    expect(clock.armed).toBe(0);
    await sessionWithRoot(writer);
    listen();
    clock.tick();
    expect(seen).toEqual([]);
  });

  it('refuses an in-memory database, which no other connection can write', () => {
    expect(() => new SqliteChangeFeed(':memory:')).toThrow(/database file/);
  });
});

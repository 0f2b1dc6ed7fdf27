import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { ProviderError } from '../../src/errors/ProviderError.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import type { Provider } from '../../src/providers/Provider.js';
import { HeadJson, TurnJson } from '../../src/server/schemas.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { JSON_HEADERS, makeEngine, makeServer, readEvents, type SseEvent, testImage } from './support.js';

type App = ReturnType<typeof makeServer>['app'];

async function started(app: App) {
  const res = await app.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() });
  return HeadJson.parse(await res.json()).session;
}

const edit = async (app: App, sessionId: string, prompt: string, query = '') =>
  TurnJson.parse(await (await app.request(`/sessions/${sessionId}/turns${query}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt }) })).json());

const idNumber = (e: SseEvent) => Number(e.id!.split('.')[1]);
const isFinal = (e: SseEvent) => ['turn.succeeded', 'turn.failed', 'turn.cancelled'].includes(e.event ?? '');

describe('server-sent events', () => {
  it("a turn's events arrive live in order: created, queued, running with log lines, succeeded", async () => {
    const { app } = makeServer(makeEngine());
    const session = await started(app);
    const stream = await app.request(`/sessions/${session.id}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const turn = await edit(app, session.id, 'make it red');
    const events = (await readEvents(stream, (es) => es.some((e) => e.data.turnId === turn.id && isFinal(e)))).filter((e) => e.data.turnId === turn.id);

    const types = events.map((e) => e.event);
    expect(types[0]).toBe('turn.created');
    expect(types.at(-1)).toBe('turn.succeeded');
    expect(types.indexOf('turn.queued')).toBeGreaterThan(0);
    expect(types.indexOf('turn.running')).toBeGreaterThan(types.indexOf('turn.queued'));
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    const logs = events.filter((e) => e.event === 'turn.running').flatMap((e) => (e.data.logs as { message: string }[]).map((l) => l.message));
    expect(logs.some((m) => m.includes('applying: tint red'))).toBe(true);
    const ids = events.map(idNumber);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a failed turn ends with turn.failed carrying the error code', async () => {
    const local = createLocalProvider();
    const failing: Provider = { ...local, name: 'local', submit: async () => Promise.reject(new ProviderError('the model is on fire', { status: 500 })) };
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [failing] });
    const { app } = makeServer(engine);
    const session = await started(app);
    const turn = await edit(app, session.id, 'make it red', '?wait=true');
    expect(turn.status).toBe('failed');
    expect(turn.error?.code).toBe('PROVIDER');
    const events = await readEvents(await app.request(`/sessions/${session.id}/turns/${turn.id}/events`), () => false);
    expect(events.at(-1)).toMatchObject({ event: 'turn.failed', data: { error: { code: 'PROVIDER', message: expect.stringContaining('on fire') } } });
  });

  it("a turn's own stream replays it from the start and ends after its final event", async () => {
    const { app } = makeServer(makeEngine());
    const session = await started(app);
    const first = await edit(app, session.id, 'make it red', '?wait=true');
    const second = await edit(app, session.id, 'make it night', '?wait=true');
    // No `until`: the test only ends if the server closes the stream.
    const events = await readEvents(await app.request(`/sessions/${session.id}/turns/${first.id}/events`), () => false);
    expect(events.every((e) => e.data.turnId === first.id)).toBe(true);
    expect(events[0]!.event).toBe('turn.created');
    expect(events.at(-1)!.event).toBe('turn.succeeded');
    const filtered = await readEvents(await app.request(`/sessions/${session.id}/events?turn=${second.id}&after=old.0`), (es) => es.some(isFinal));
    expect(filtered.every((e) => e.data.turnId === second.id)).toBe(true);
    expect(filtered.at(-1)!.event).toBe('turn.succeeded');
  });

  it('reconnecting with Last-Event-ID resumes exactly after it: no gap, no duplicate', async () => {
    const engine = makeEngine();
    const { app } = makeServer(engine);
    const session = await started(app);
    const stream = await app.request(`/sessions/${session.id}/events`);
    const turn = await edit(app, session.id, 'make it red');
    const before = await readEvents(stream, (es) => es.length >= 2);
    const lastSeen = before.at(-1)!;

    await engine.runner.waitUntilSettled(turn.id);
    const resumed = await readEvents(await app.request(`/sessions/${session.id}/events`, { headers: { 'last-event-id': lastSeen.id! } }), (es) =>
      es.some((e) => e.data.turnId === turn.id && isFinal(e)),
    );
    expect(resumed[0]!.id).not.toBe(lastSeen.id);
    const expected = engine.events.since(session.id, idNumber(lastSeen));
    expect(resumed.map(idNumber)).toEqual(expected.map((e) => e.id));
    expect([...before, ...resumed].filter((e) => e.data.turnId === turn.id).map((e) => e.event)).toEqual(
      engine.events.since(session.id, 0).filter((e) => e.turnId === turn.id).map((e) => e.type),
    );
  });

  it('an id from an earlier server replays everything this one holds; a malformed id is 400', async () => {
    const engine = makeEngine();
    const { app } = makeServer(engine);
    const session = await started(app);
    const turn = await edit(app, session.id, 'make it red', '?wait=true');
    const replayed = await readEvents(await app.request(`/sessions/${session.id}/events`, { headers: { 'last-event-id': 'gone1234.999' } }), (es) =>
      es.some((e) => e.data.turnId === turn.id && isFinal(e)),
    );
    expect(replayed.map(idNumber)).toEqual(engine.events.since(session.id, 0).map((e) => e.id));
    const bad = await app.request(`/sessions/${session.id}/events`, { headers: { 'last-event-id': 'DROP TABLE' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('MALFORMED');
  });

  it('a finished turn whose events this process never saw still ends its stream, saying how it ended', async () => {
    const engine = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const turn = await engine.edit(session.id, 'make it red');
    // Another process (a new engine over the same store) has no event history for it.
    const later = new SessionEngine({ store: engine.store, blobs: engine.blobs, providers: [createLocalProvider()] });
    const { app } = makeServer(later);
    const events = await readEvents(await app.request(`/sessions/${session.id}/turns/${turn.id}/events`), () => false);
    expect(events).toEqual([{ event: 'turn.succeeded', id: undefined, data: { type: 'turn.succeeded', sessionId: session.id, turnId: turn.id, status: 'succeeded', replayed: true } }]);
  });

  it('beginShutdown ends open streams; later requests are 503', async () => {
    const server = makeServer(makeEngine());
    const session = await started(server.app);
    const open = await server.app.request(`/sessions/${session.id}/events`);
    server.beginShutdown();
    expect(await readEvents(open, () => false)).toEqual([]);
    const later = await server.app.request(`/sessions/${session.id}/events`);
    expect(later.status).toBe(503);
    expect((await later.json()).error.code).toBe('UNAVAILABLE');
  });
});

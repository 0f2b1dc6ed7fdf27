import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { createServer } from '../../src/server/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { testImage } from '../support/images.js';

/**
 * Ids are nanoids, whose alphabet includes `-` and `_` in any position: about one id in 32
 * starts with one of them. Every such turn must be as reachable over HTTP as any other
 * (it used to be a 404: the path pattern wanted a letter or digit first).
 */
describe('turns whose id starts with - or _', () => {
  it('can be read, picked, edited from and cancelled over HTTP', async () => {
    const prefixes = ['-', '_'];
    let n = 0;
    // Every id starts with - or _, alternately, then is unique.
    const store = SessionStore.inMemory({ newId: () => `${prefixes[n % 2]}${String(n++).padStart(11, 'x')}` });
    const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [createLocalProvider()] });
    const { app } = createServer(engine, { env: {}, page: false, log: () => undefined });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const first = await engine.edit(session.id, 'make it red', { seed: 1, num_images: 2 });
    for (const id of [session.headTurnId!, first.id]) expect(id).toMatch(/^[-_]/);

    const json = { 'content-type': 'application/json' };
    for (const path of [`/sessions/${session.id}/turns/${first.id}`, `/sessions/${session.id}/turns/${first.id}/path`, `/sessions/${session.id}/turns/${first.id}/children`]) {
      expect((await app.request(path)).status, path).toBe(200);
    }
    expect((await app.request(`/sessions/${session.id}/turns/${first.id}/pick`, { method: 'POST', headers: json, body: JSON.stringify({ index: 1 }) })).status).toBe(200);
    const edited = await app.request(`/sessions/${session.id}/turns?wait=true`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'make it night', from: first.id }) });
    expect(edited.status).toBe(201);
    expect((await app.request(`/sessions/${session.id}/checkout`, { method: 'POST', headers: json, body: JSON.stringify({ ref: first.id }) })).status).toBe(200);
    const cancelled = await app.request(`/sessions/${session.id}/turns/${first.id}/cancel`, { method: 'POST' });
    // Already finished: a 409 about the turn, not a 404 that it does not exist.
    expect(cancelled.status).toBe(409);
    await engine.close();
  });
});

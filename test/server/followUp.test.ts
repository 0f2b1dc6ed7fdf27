import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { HeadJson, TurnJson } from '../../src/server/schemas.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { JSON_HEADERS, makeServer, testImage } from './support.js';

async function setup() {
  const gated = gatedProvider(createLocalProvider());
  const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [gated.provider] });
  const { app } = makeServer(engine);
  const res = await app.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() });
  const { session } = HeadJson.parse(await res.json());
  const edit = (body: Record<string, unknown>, query = '') => app.request(`/sessions/${session.id}/turns${query}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  return { engine, gated, app, session, edit };
}

describe('POST …/turns while the previous turn still runs', () => {
  it('?wait=false answers 202 with a pending follow-up before the parent’s job completes', async () => {
    const { engine, gated, edit } = await setup();
    gated.hold('slow');
    const first = TurnJson.parse(await (await edit({ prompt: 'make it red [slow]', params: { seed: 1 } })).json());
    const res = await edit({ prompt: 'make it night', params: { seed: 2 } }, '?wait=false');
    expect(res.status).toBe(202);
    const follow = TurnJson.parse(await res.json());
    expect(follow).toMatchObject({ parentId: first.id, status: 'pending' });
    // The answer came while the parent was still held: ordering, not a timing threshold.
    expect((await engine.getTurn(first.id)).status).not.toBe('succeeded');
    expect(gated.submitted).toEqual(['make it red [slow]']);
    gated.release('slow');
    await engine.runner.waitUntilSettled(follow.id);
    const done = await engine.getTurn(follow.id);
    expect(done).toMatchObject({ status: 'succeeded', parentId: first.id });
    expect(done.inputBlob).toBe((await engine.getTurn(first.id)).outputs[0]!.blobHash);
  });
});

describe('a failed edit over HTTP', () => {
  it('answers the failed turn, and the session keeps HEAD attached to main on the last good turn', async () => {
    const { app, session, edit } = await setup();
    const good = TurnJson.parse(await (await edit({ prompt: 'make it red', params: { seed: 1 } }, '?wait=true')).json());
    const failed = await edit({ prompt: 'fail please', params: { seed: 2 } }, '?wait=true');
    expect(failed.status).toBe(201);
    expect(TurnJson.parse(await failed.json())).toMatchObject({ status: 'failed', error: { code: 'PROVIDER' } });
    const now = HeadJson.parse(await (await app.request(`/sessions/${session.id}`)).json());
    expect(now.session).toMatchObject({ headTurnId: good.id, headRef: 'main' });
    expect(now.head?.id).toBe(good.id);
    const next = TurnJson.parse(await (await edit({ prompt: 'make it night', params: { seed: 3 }, from: 'main' }, '?wait=true')).json());
    expect(next).toMatchObject({ status: 'succeeded', parentId: good.id });
  });
});

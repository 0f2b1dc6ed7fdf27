import { describe, expect, it } from 'vitest';
import { ErrorJson, HeadJson, ImportJson, SessionListJson, TreeJson, TurnJson } from '../../src/server/schemas.js';
import { ALICE, BOB, bearer, JSON_HEADERS, makeEngine, makeServer, TOKENS, testImage } from './support.js';

async function exportedBundle() {
  const { app } = makeServer(makeEngine(), { tokens: TOKENS });
  const created = HeadJson.parse(await (await app.request('/sessions', { method: 'POST', headers: { ...bearer(ALICE), 'content-type': 'image/png' }, body: await testImage() })).json());
  const id = created.session.id;
  await app.request(`/sessions/${id}/turns?wait=true`, { method: 'POST', headers: { ...bearer(ALICE), ...JSON_HEADERS }, body: JSON.stringify({ prompt: 'make it red' }) });
  const res = await app.request(`/sessions/${id}/export`, { headers: bearer(ALICE) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/gzip');
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}.kontext.tgz"`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
  const tree = TreeJson.parse(await (await app.request(`/sessions/${id}/tree`, { headers: bearer(ALICE) })).json());
  return { id, bytes, tree };
}

const importBundle = (app: ReturnType<typeof makeServer>['app'], body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string> = {}) =>
  app.request('/imports', { method: 'POST', headers: { 'content-type': 'application/gzip', ...headers }, body });

describe('export and import', () => {
  it('a downloaded bundle uploads into another server as a session of the importing token, with the same images', async () => {
    const { id, bytes, tree } = await exportedBundle();
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);

    const { app } = makeServer(makeEngine(), { tokens: TOKENS });
    const res = await importBundle(app, bytes, bearer(BOB));
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/sessions/${id}`);
    expect(ImportJson.parse(await res.json())).toEqual({ sessionId: id, turns: 2, blobs: 2, alreadyPresent: false });

    expect(SessionListJson.parse(await (await app.request('/sessions', { headers: bearer(BOB) })).json()).sessions.map((s) => [s.id, s.owner])).toEqual([[id, 'bob']]);
    const imported = TreeJson.parse(await (await app.request(`/sessions/${id}/tree`, { headers: bearer(BOB) })).json());
    expect(imported.turns.map((t) => [t.id, t.outputs.map((o) => o.hash)])).toEqual(tree.turns.map((t) => [t.id, t.outputs.map((o) => o.hash)]));
    for (const turn of imported.turns) expect((await app.request(turn.outputs[0]!.url, { headers: bearer(BOB) })).status).toBe(200);
    expect((await app.request(`/sessions/${id}`, { headers: bearer(ALICE) })).status).toBe(404);

    // The imported session goes on like any other.
    const next = await app.request(`/sessions/${id}/turns?wait=true`, { method: 'POST', headers: { ...bearer(BOB), ...JSON_HEADERS }, body: JSON.stringify({ prompt: 'make it night' }) });
    expect(TurnJson.parse(await next.json()).status).toBe('succeeded');
  });

  it('importing the same bundle twice is a no-op (200, alreadyPresent)', async () => {
    const { bytes } = await exportedBundle();
    const { app } = makeServer(makeEngine());
    expect((await importBundle(app, bytes)).status).toBe(201);
    const again = await importBundle(app, bytes);
    expect(again.status).toBe(200);
    expect(ImportJson.parse(await again.json()).alreadyPresent).toBe(true);
    expect(SessionListJson.parse(await (await app.request('/sessions')).json()).sessions).toHaveLength(1);
  });

  it('refuses garbage (422 INTEGRITY), a wrong Content-Type (400), an empty body (400) and an oversized bundle (413)', async () => {
    const { app } = makeServer(makeEngine(), { maxBundleBytes: 64 * 1024 });
    const garbage = await importBundle(app, 'this is not a gzip tar');
    expect(garbage.status).toBe(422);
    expect(ErrorJson.parse(await garbage.json()).error.code).toBe('INTEGRITY');
    expect((await importBundle(app, 'x', { 'content-type': 'text/plain' })).status).toBe(400);
    expect((await importBundle(app, new Uint8Array(0))).status).toBe(400);
    const big = await importBundle(app, new Uint8Array(200 * 1024));
    expect(big.status).toBe(413);
    expect(ErrorJson.parse(await big.json()).error).toMatchObject({ code: 'TOO_LARGE', details: { maxBytes: 64 * 1024 } });
    expect(SessionListJson.parse(await (await app.request('/sessions')).json()).sessions).toEqual([]);
  });
});

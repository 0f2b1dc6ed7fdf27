import { describe, expect, it } from 'vitest';
import { BranchJson, BranchListJson, ErrorJson, HeadJson, TurnJson } from '../../src/server/schemas.js';
import { JSON_HEADERS, makeEngine, makeServer, testImage } from './support.js';

type App = ReturnType<typeof makeServer>['app'];

/** A session with two chained edits: root → a → b, HEAD on b, attached to main. */
async function twoEdits(app: App) {
  const created = HeadJson.parse(await (await app.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() })).json());
  const id = created.session.id;
  const editOnce = async (prompt: string) =>
    TurnJson.parse(await (await app.request(`/sessions/${id}/turns?wait=true`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt }) })).json());
  const a = await editOnce('make it red');
  const b = await editOnce('make it night');
  return { id, root: created.head!.id, a: a.id, b: b.id };
}

const post = (app: App, path: string, body?: unknown) =>
  app.request(path, body === undefined ? { method: 'POST' } : { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });

describe('HEAD', () => {
  it('undo moves HEAD to the parent, redo back; both answer with the new HEAD', async () => {
    const { app } = makeServer(makeEngine());
    const s = await twoEdits(app);
    const undone = HeadJson.parse(await (await post(app, `/sessions/${s.id}/undo`)).json());
    expect(undone.head?.id).toBe(s.a);
    expect(undone.session.redoStack).toEqual([s.b]);
    const head = HeadJson.parse(await (await app.request(`/sessions/${s.id}/head`)).json());
    expect(head.head?.id).toBe(s.a);
    const redone = HeadJson.parse(await (await post(app, `/sessions/${s.id}/redo`, {})).json());
    expect(redone.head?.id).toBe(s.b);
  });

  it('undo at the root and redo with nothing undone are 409', async () => {
    const { app } = makeServer(makeEngine());
    const s = await twoEdits(app);
    expect((await post(app, `/sessions/${s.id}/redo`)).status).toBe(409);
    await post(app, `/sessions/${s.id}/undo`);
    await post(app, `/sessions/${s.id}/undo`);
    const atRoot = await post(app, `/sessions/${s.id}/undo`);
    expect(atRoot.status).toBe(409);
    expect(ErrorJson.parse(await atRoot.json()).error).toMatchObject({ code: 'CONFLICT', message: 'nothing to undo: HEAD is at the root' });
  });

  it('undo refuses a body it does not understand', async () => {
    const { app } = makeServer(makeEngine());
    const s = await twoEdits(app);
    const res = await post(app, `/sessions/${s.id}/undo`, { steps: 2 });
    expect(res.status).toBe(422);
    expect(HeadJson.parse(await (await app.request(`/sessions/${s.id}/head`)).json()).head?.id).toBe(s.b);
  });

  it('checkout of a turn detaches HEAD; checkout of a branch attaches it', async () => {
    const { app } = makeServer(makeEngine());
    const s = await twoEdits(app);
    const detached = HeadJson.parse(await (await post(app, `/sessions/${s.id}/checkout`, { ref: s.a })).json());
    expect(detached.session).toMatchObject({ headTurnId: s.a, headRef: null });
    const attached = HeadJson.parse(await (await post(app, `/sessions/${s.id}/checkout`, { ref: 'main' })).json());
    expect(attached.session).toMatchObject({ headTurnId: s.b, headRef: 'main' });
    expect((await post(app, `/sessions/${s.id}/checkout`, { ref: 'nowhere' })).status).toBe(404);
    expect((await post(app, `/sessions/${s.id}/checkout`, {})).status).toBe(422);
  });
});

describe('branches', () => {
  it('creates (201), lists, renames (names may hold /) and deletes (204) a branch', async () => {
    const { app } = makeServer(makeEngine());
    const s = await twoEdits(app);
    const created = await post(app, `/sessions/${s.id}/branches`, { name: 'idea', at: s.a });
    expect(created.status).toBe(201);
    expect(BranchJson.parse(await created.json())).toMatchObject({ name: 'idea', turnId: s.a });
    const renamed = await app.request(`/sessions/${s.id}/branches/idea`, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ name: 'ideas/winter' }) });
    expect(renamed.status).toBe(200);
    const list = BranchListJson.parse(await (await app.request(`/sessions/${s.id}/branches`)).json());
    expect(list.branches.map((b) => [b.name, b.turnId])).toEqual([
      ['ideas/winter', s.a],
      ['main', s.b],
    ]);
    expect((await app.request(`/sessions/${s.id}/branches/ideas/winter`, { method: 'DELETE' })).status).toBe(204);
    const after = BranchListJson.parse(await (await app.request(`/sessions/${s.id}/branches`)).json());
    expect(after.branches.map((b) => b.name)).toEqual(['main']);
  });

  it('a branch at HEAD by default; a duplicate is 409, a bad name 422, a missing one 404', async () => {
    const { app } = makeServer(makeEngine());
    const s = await twoEdits(app);
    expect(BranchJson.parse(await (await post(app, `/sessions/${s.id}/branches`, { name: 'here' })).json()).turnId).toBe(s.b);
    const dup = await post(app, `/sessions/${s.id}/branches`, { name: 'main' });
    expect(dup.status).toBe(409);
    expect(ErrorJson.parse(await dup.json()).error.code).toBe('CONFLICT');
    const bad = await post(app, `/sessions/${s.id}/branches`, { name: '-oops..' });
    expect(bad.status).toBe(422);
    expect((await app.request(`/sessions/${s.id}/branches/nope`, { method: 'DELETE' })).status).toBe(404);
    const clash = await app.request(`/sessions/${s.id}/branches/here`, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ name: 'main' }) });
    expect(clash.status).toBe(409);
  });
});

import { describe, expect, it } from 'vitest';
import { BranchListJson, HeadJson, SubtreeDeletionJson, TurnJson } from '../../src/server/schemas.js';
import { ALICE, BOB, bearer, JSON_HEADERS, makeEngine, makeServer, TOKENS, testImage } from './support.js';

async function setup() {
  const engine = makeEngine();
  const { app } = makeServer(engine, { env: { KONTEXT_TOKENS: TOKENS } });
  const as = (who: { token: string }) => (path: string, init: RequestInit = {}) => app.request(path, { ...init, headers: { ...bearer(who), ...(init.headers as Record<string, string>) } });
  const alice = as(ALICE);
  const { session } = HeadJson.parse(await (await alice('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() })).json());
  const edit = async (prompt: string, seed: number) =>
    TurnJson.parse(await (await alice(`/sessions/${session.id}/turns?wait=true`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt, params: { seed } }) })).json());
  return { alice, bob: as(BOB), session, edit };
}

describe('DELETE /sessions/:id/turns/:turn', () => {
  it('deletes the subtree, moves HEAD and main to the parent, and the turns are gone', async () => {
    const { alice, session, edit } = await setup();
    const a = await edit('make it red', 1);
    const b = await edit('make it night', 2);
    const c = await edit('make it winter', 3);
    const res = await alice(`/sessions/${session.id}/turns/${b.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(SubtreeDeletionJson.parse(await res.json())).toEqual({ sessionId: session.id, parentId: a.id, deletedTurnIds: [b.id, c.id], movedBranches: ['main'], deletedBranches: [], headMovedTo: a.id });
    expect((await alice(`/sessions/${session.id}/turns/${c.id}`)).status).toBe(404);
    expect(HeadJson.parse(await (await alice(`/sessions/${session.id}`)).json()).session).toMatchObject({ headTurnId: a.id, headRef: 'main' });
  });

  it('?branches=true deletes the branches pointing into it', async () => {
    const { alice, session, edit } = await setup();
    const a = await edit('make it red', 1);
    const b = await edit('make it night', 2);
    await alice(`/sessions/${session.id}/branches`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ name: 'night', at: b.id }) });
    await alice(`/sessions/${session.id}/checkout`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ ref: a.id }) });
    const res = await alice(`/sessions/${session.id}/turns/${b.id}?branches=true`, { method: 'DELETE' });
    expect(SubtreeDeletionJson.parse(await res.json()).deletedBranches.sort()).toEqual(['main', 'night']);
    expect(BranchListJson.parse(await (await alice(`/sessions/${session.id}/branches`)).json()).branches).toEqual([]);
  });

  it('the root is refused with 409, a bad query value with 422 naming it, and another owner sees 404; nothing changes', async () => {
    const { alice, bob, session, edit } = await setup();
    const a = await edit('make it red', 1);
    const before = await (await alice(`/sessions/${session.id}/tree`)).json();
    const root = await alice(`/sessions/${session.id}/turns/${session.headTurnId ?? a.parentId}`, { method: 'DELETE' });
    expect(root.status).toBe(409);
    const badQuery = await alice(`/sessions/${session.id}/turns/${a.id}?branches=yes`, { method: 'DELETE' });
    expect(badQuery.status).toBe(422);
    expect(await badQuery.text()).toContain('branches');
    expect((await bob(`/sessions/${session.id}/turns/${a.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(await (await alice(`/sessions/${session.id}/tree`)).json()).toEqual(before);
  });
});

import { createHash } from 'node:crypto';
import { utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { collectGarbage, type GarbageReport } from '../../src/engine/collectGarbage.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { ErrorJson, HeadJson, SessionListJson, TreeJson, TurnJson } from '../../src/server/schemas.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { testTempDir } from '../support/testTempDir.js';
import { ALICE, BOB, bearer, JSON_HEADERS, makeServer, TOKENS, testImage } from './support.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const TurnList = TurnJson.array();

async function setup(blobs: FileBlobStore | MemoryBlobStore = new MemoryBlobStore()) {
  // Room for the 20 edits of the gc test in flight at once.
  const store = SessionStore.inMemory();
  const gated = gatedProvider(createLocalProvider());
  const engine = new SessionEngine({ store, blobs, providers: [gated.provider] });
  const { app } = makeServer(engine, { env: { KONTEXT_TOKENS: TOKENS }, maxTurnsInFlightPerOwner: 32 });
  const as = (who: { token: string }) => (path: string, init: RequestInit = {}) => app.request(path, { ...init, headers: { ...bearer(who), ...(init.headers as Record<string, string>) } });
  const alice = as(ALICE);
  const created = await alice('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() });
  const { session } = HeadJson.parse(await created.json());
  const edit = async (prompt: string, seed: number, from?: string) =>
    TurnJson.parse(await (await alice(`/sessions/${session.id}/turns?wait=true`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt, params: { seed }, from }) })).json());
  const post = (path: string, body: unknown) => alice(path, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  return { engine, store, gated, alice, bob: as(BOB), session, edit, post };
}

async function errorOf(res: Response) {
  return ErrorJson.parse(await res.json()).error;
}

describe('POST /sessions/:id/fork', () => {
  it('answers 201 with the new session document and a Location; the copy has the path, the same images and no spend', async () => {
    const { alice, session, edit, post } = await setup();
    const a = await edit('make it red', 1);
    const b = await edit('make it night', 2);
    await edit('make it blue', 3, a.id);

    const res = await post(`/sessions/${session.id}/fork`, { turn: b.id.slice(0, 6), title: 'night copy' });
    expect(res.status).toBe(201);
    const doc = HeadJson.parse(await res.json());
    expect(res.headers.get('location')).toBe(`/sessions/${doc.session.id}`);
    expect(doc.session).toMatchObject({ title: 'night copy', owner: 'alice', headRef: 'main' });
    expect(doc.head).toMatchObject({ sessionId: doc.session.id, prompt: 'make it night', originKind: 'fork', originTurnId: b.id, costMicros: 0, image: b.image });
    const tree = TreeJson.parse(await (await alice(`/sessions/${doc.session.id}/tree`)).json());
    expect(tree.turns.map((t) => t.prompt)).toEqual([null, 'make it red', 'make it night']);
    expect((await (await alice(`/sessions/${doc.session.id}/cost`)).json()).totalMicros).toBe(0);
    const listed = SessionListJson.parse(await (await alice('/sessions')).json()).sessions.map((s) => s.id);
    expect(listed).toContain(doc.session.id);
    // The source is unchanged.
    expect(TreeJson.parse(await (await alice(`/sessions/${session.id}/tree`)).json()).turns).toHaveLength(4);
  });

  it('whole: true copies every branch; HEAD goes to the copy of the turn, on a branch pointing there', async () => {
    const { alice, session, edit, post } = await setup();
    const a = await edit('make it red', 1);
    // From the root, which has a child already: a new branch, which HEAD follows.
    await edit('make it blue', 3, session.headTurnId!);
    await post(`/sessions/${session.id}/branches`, { name: 'red', at: a.id });
    const source = TreeJson.parse(await (await alice(`/sessions/${session.id}/tree`)).json());
    const doc = HeadJson.parse(await (await post(`/sessions/${session.id}/fork`, { turn: 'red', whole: true })).json());
    const tree = TreeJson.parse(await (await alice(`/sessions/${doc.session.id}/tree`)).json());
    expect(tree.turns).toHaveLength(3);
    expect(tree.branches.map((b) => b.name)).toEqual(source.branches.map((b) => b.name));
    expect(source.session.headRef).not.toBe('main');
    // main and red both point at the copy of `a`; the source's HEAD branch does not, so the first name wins.
    expect(doc.session.headRef).toBe('main');
    expect(doc.head?.originTurnId).toBe(a.id);
  });

  it('refuses an unknown turn (404), another owner (404, as for a missing session), a running turn (409) and bad fields (422 naming them), creating nothing', async () => {
    const { alice, bob, gated, session, post } = await setup();
    gated.hold('slow');
    const running = TurnJson.parse(await (await post(`/sessions/${session.id}/turns`, { prompt: 'make it night [slow]' })).json());
    const count = async () => SessionListJson.parse(await (await alice('/sessions')).json()).sessions.length;
    const before = await count();

    const unknown = await post(`/sessions/${session.id}/fork`, { turn: 'zzzzzzzzzzzz' });
    expect(unknown.status).toBe(404);
    const stranger = await bob(`/sessions/${session.id}/fork`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ turn: 'HEAD' }) });
    expect(stranger.status).toBe(404);
    const missing = await errorOf(await bob(`/sessions/nosuchsession/fork`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ turn: 'HEAD' }) }));
    expect(await errorOf(stranger)).toEqual({ ...missing, message: missing.message.replace('nosuchsession', session.id), details: { ...missing.details, id: session.id } });
    const busy = await post(`/sessions/${session.id}/fork`, { turn: running.id });
    expect(busy.status).toBe(409);
    expect((await errorOf(busy)).message).toContain('still running');

    const bad = await post(`/sessions/${session.id}/fork`, { turn: 'HEAD~1', whole: 'yes', title: 'x'.repeat(201), extra: 1 });
    expect(bad.status).toBe(422);
    const fields = ((await errorOf(bad)).details.issues as { field: string }[]).map((i) => i.field).sort();
    expect(fields).toEqual(['extra', 'title', 'whole']);
    const noTurn = await post(`/sessions/${session.id}/fork`, {});
    expect(noTurn.status).toBe(422);
    expect(JSON.stringify(await errorOf(noTurn))).toContain('turn');

    expect(await count()).toBe(before);
    gated.release('slow');
  });
});

describe('pins over HTTP', () => {
  it('PUT pins, DELETE unpins (both answer the turn document), GET /pins lists them in pin order, and the tree marks them', async () => {
    const { alice, session, edit } = await setup();
    const a = await edit('make it red', 1);
    const b = await edit('make it night', 2);
    const pinned = await alice(`/sessions/${session.id}/turns/${b.id}/pin`, { method: 'PUT' });
    expect(pinned.status).toBe(200);
    expect(TurnJson.parse(await pinned.json())).toMatchObject({ id: b.id, pinned: true });
    await new Promise((r) => setTimeout(r, 5));
    expect(TurnJson.parse(await (await alice(`/sessions/${session.id}/turns/HEAD~1/pin`, { method: 'PUT' })).json())).toMatchObject({ id: a.id, pinned: true });
    const list = TurnList.parse((await (await alice(`/sessions/${session.id}/pins`)).json()).turns);
    expect(list.map((t) => t.id)).toEqual([b.id, a.id]);
    expect(TreeJson.parse(await (await alice(`/sessions/${session.id}/tree`)).json()).turns.map((t) => t.pinned)).toEqual([false, true, true]);

    const unpinned = await alice(`/sessions/${session.id}/turns/${b.id}/pin`, { method: 'DELETE' });
    expect(unpinned.status).toBe(200);
    expect(TurnJson.parse(await unpinned.json())).toMatchObject({ id: b.id, pinned: false });
    expect(TurnList.parse((await (await alice(`/sessions/${session.id}/pins`)).json()).turns).map((t) => t.id)).toEqual([a.id]);
  });

  it('refuses a running turn (409), an unknown turn and another owner (404), and a body or query it does not take (422)', async () => {
    const { alice, bob, gated, session, edit, post } = await setup();
    const a = await edit('make it red', 1);
    gated.hold('slow');
    const running = TurnJson.parse(await (await post(`/sessions/${session.id}/turns`, { prompt: 'make it night [slow]' })).json());
    expect((await alice(`/sessions/${session.id}/turns/${running.id}/pin`, { method: 'PUT' })).status).toBe(409);
    expect((await alice(`/sessions/${session.id}/turns/zzzzzzzzzzzz/pin`, { method: 'PUT' })).status).toBe(404);
    expect((await bob(`/sessions/${session.id}/turns/${a.id}/pin`, { method: 'PUT' })).status).toBe(404);
    expect((await bob(`/sessions/${session.id}/turns/${a.id}/pin`, { method: 'DELETE' })).status).toBe(404);
    expect((await bob(`/sessions/${session.id}/pins`)).status).toBe(404);
    const body = await alice(`/sessions/${session.id}/turns/${a.id}/pin`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ pinned: false }) });
    expect(body.status).toBe(422);
    expect(JSON.stringify(await errorOf(body))).toContain('pinned');
    const q = await alice(`/sessions/${session.id}/pins?all=1`);
    expect(q.status).toBe(422);
    expect(JSON.stringify(await errorOf(q))).toContain('all');
    expect(TurnList.parse((await (await alice(`/sessions/${session.id}/pins`)).json()).turns)).toEqual([]);
    gated.release('slow');
  });
});

describe('archive garbage collection while edits run', () => {
  it('gc looping during 20 concurrent edits loses no blob a finished turn refers to; every image reads back with its hash', async () => {
    const dir = testTempDir('kontext-gc-http-');
    const blobs = new FileBlobStore(dir);
    const { alice, engine, store, session, post } = await setup(blobs);
    const hour = 60 * 60 * 1000;
    // Orphans (bytes a deleted turn left) that the collector should take while the edits run.
    const orphans: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { hash } = await blobs.put(Buffer.from(`orphan ${i}`));
      utimesSync(blobs.localPath(hash)!, new Date(Date.now() - hour), new Date(Date.now() - hour));
      orphans.push(hash);
    }

    const accepted = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await post(`/sessions/${session.id}/turns`, { prompt: `make it shade ${i}`, params: { seed: 100 + i }, from: session.headTurnId });
        expect(res.status).toBe(202);
        return TurnJson.parse(await res.json()).id;
      }),
    );
    // No grace period and no clock slack: only the rule "nothing put since the oldest running
    // turn was written" stands between the collector and the outputs not yet recorded.
    const reports: GarbageReport[] = [];
    let whileRunning = 0;
    for (;;) {
      const inFlight = (await store.inFlightTurns(session.id)).length;
      reports.push(await collectGarbage({ store, blobs, now: Date.now, clockSlackMs: 0 }, { dryRun: false, minAgeMs: 0 }));
      if (inFlight > 0) whileRunning++;
      else break;
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(whileRunning).toBeGreaterThan(0);
    expect(reports.flatMap((r) => r.blobs.hashes).sort()).toEqual([...orphans].sort());

    const tree = TreeJson.parse(await (await alice(`/sessions/${session.id}/tree`)).json());
    const finished = tree.turns.filter((t) => accepted.includes(t.id));
    expect(finished.map((t) => t.status)).toEqual(Array(20).fill('succeeded'));
    const hashes = new Set(tree.turns.flatMap((t) => [...t.outputs.map((o) => o.hash), ...(t.inputBlob ? [t.inputBlob] : [])]));
    expect(hashes.size).toBeGreaterThan(20);
    for (const hash of hashes) {
      const res = await alice(`/images/${hash}`);
      expect(res.status, hash).toBe(200);
      expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(hash);
    }
    // And a last collection after them all takes nothing a turn refers to.
    expect((await engine.collectGarbage({ dryRun: false, minAgeMs: 0 })).blobs.count).toBe(0);
  });
});

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors/index.js';
import { SessionStore } from '../../src/store/index.js';
import { IN_FLIGHT_STATUSES } from '../../src/store/transitions.js';
import { testTempDir } from '../support/testTempDir.js';

const tempDb = () => join(testTempDir('kontext-store-'), 'k.db');

async function sessionWithRoot(store: SessionStore) {
  const session = await store.createSession({ title: 't', defaultEndpoint: 'fal-ai/flux-pro/kontext' });
  const root = await store.appendTurn({ sessionId: session.id, parentId: null, kind: 'source', status: 'succeeded' }, { moveHead: true });
  return { session, root };
}

describe('migrations', () => {
  it('apply to a fresh file, are a no-op when reopened, and keep data', async () => {
    const file = tempDb();
    const store = SessionStore.open(file);
    const { session } = await sessionWithRoot(store);
    store.close();

    const raw = new Database(file);
    const applied = raw.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number };
    const tables = raw.prepare("select name from sqlite_master where type='table' order by name").all().map((r) => (r as { name: string }).name);
    raw.close();
    expect(tables).toEqual(expect.arrayContaining(['sessions', 'turns', 'outputs', 'blobs', 'refs']));

    const reopened = SessionStore.open(file);
    const again = new Database(file);
    expect((again.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n).toBe(applied.n);
    again.close();
    const kept = await reopened.getSession(session.id);
    expect(kept.title).toBe('t');
    expect((await reopened.listTurns(session.id)).length).toBe(1);
    reopened.close();
  });

  it('opens the file in WAL mode with foreign keys on', () => {
    const store = SessionStore.open(tempDb());
    expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    store.close();
  });

  it('indexes only unfinished turns for resuming and only seeded turns for memo hits, and the store’s lookups can use both', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    const partial = store.sqlite.prepare("select name from pragma_index_list('turns') where partial = 1 order by name").pluck().all();
    expect(partial).toEqual(['turns_in_flight_idx', 'turns_memo_idx', 'turns_pinned_idx']);
    const seeded = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit', endpointId: 'e', seedRequested: 7 });
    const unseeded = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit', endpointId: 'e' });
    // INDEXED BY fails ("no query solution") when an index cannot answer the query: this catches
    // an index condition drifting from the conditions the store queries with.
    const inFlightSql = IN_FLIGHT_STATUSES.map((s) => `'${s}'`).join(', ');
    const inFlight = store.sqlite.prepare(`select id from turns indexed by turns_in_flight_idx where status in (${inFlightSql}) order by created_at`).pluck();
    const memo = store.sqlite.prepare('select id from turns indexed by turns_memo_idx where endpoint_id = ? and input_blob is ? and seed_requested = ?').pluck();
    expect(inFlight.all()).toEqual([seeded.id, unseeded.id]);
    expect(memo.all('e', null, 7)).toEqual([seeded.id]);
    await store.completeTurn(seeded.id, []);
    expect(inFlight.all()).toEqual([unseeded.id]);
    expect((await store.inFlightTurns(session.id)).map((t) => t.id)).toEqual([unseeded.id]);
    store.close();
  });
});

describe('the turn tree', () => {
  it('returns the whole path of a 10,000-turn chain in order with one query', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    let parent = root.id;
    const ids = [root.id];
    for (let i = 1; i < 10_000; i++) {
      const t = await store.appendTurn({ sessionId: session.id, parentId: parent, kind: 'edit', prompt: `p${i}` });
      ids.push(t.id);
      parent = t.id;
    }
    const path = await store.path(parent);
    expect(path.length).toBe(10_000);
    expect(path.map((t) => t.id)).toEqual(ids);
    expect(path[9_999]!.depth).toBe(9_999);
    expect(path[5]!.prompt).toBe('p5');
    expect(path[0]!.createdAt).toBeInstanceOf(Date);
  });

  it('lists children and the subtree of a middle turn', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    const a = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit', prompt: 'a' });
    const b1 = await store.appendTurn({ sessionId: session.id, parentId: a.id, kind: 'edit', prompt: 'b1' });
    const b2 = await store.appendTurn({ sessionId: session.id, parentId: a.id, kind: 'edit', prompt: 'b2' });
    const c = await store.appendTurn({ sessionId: session.id, parentId: b1.id, kind: 'edit', prompt: 'c' });
    expect((await store.children(a.id)).map((t) => t.id).sort()).toEqual([b1.id, b2.id].sort());
    const sub = await store.subtree(a.id);
    expect(sub.map((t) => t.id)[0]).toBe(a.id);
    expect(new Set(sub.map((t) => t.id))).toEqual(new Set([a.id, b1.id, b2.id, c.id]));
  });

  it('refuses a parent from another session, and a missing parent, with a clear error', async () => {
    const store = SessionStore.inMemory();
    const one = await sessionWithRoot(store);
    const two = await sessionWithRoot(store);
    const crossing = store.appendTurn({ sessionId: two.session.id, parentId: one.root.id, kind: 'edit' });
    await expect(crossing).rejects.toBeInstanceOf(ValidationError);
    await expect(crossing).rejects.toThrow(/belongs to another session/);
    await expect(store.appendTurn({ sessionId: two.session.id, parentId: 'nope', kind: 'edit' })).rejects.toBeInstanceOf(NotFoundError);
    expect((await store.listTurns(two.session.id)).length).toBe(1);
  });

  it('enforces the same-session parent link in the database itself', async () => {
    const store = SessionStore.inMemory();
    const one = await sessionWithRoot(store);
    const two = await sessionWithRoot(store);
    const sqlite = store.sqlite;
    expect(() =>
      sqlite
        .prepare("insert into turns (id, session_id, parent_id, depth, kind, status, created_at) values ('x', ?, ?, 1, 'edit', 'pending', 0)")
        .run(two.session.id, one.root.id),
    ).toThrow(/FOREIGN KEY/);
  });
});

describe('transactions', () => {
  it('a transaction that fails midway leaves no rows', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    const turn = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit' });
    await store.recordBlob({ hash: 'a'.repeat(64), size: 3, contentType: 'image/png', width: 1, height: 1 });
    // The second output names a blob that does not exist: the whole completion must roll back.
    await expect(
      store.completeTurn(turn.id, [
        { index: 0, providerUrl: 'u0', blobHash: 'a'.repeat(64), width: 1, height: 1, contentType: 'image/png', nsfw: false },
        { index: 1, providerUrl: 'u1', blobHash: 'b'.repeat(64), width: 1, height: 1, contentType: 'image/png', nsfw: false },
      ]),
    ).rejects.toThrow(/FOREIGN KEY/);
    expect(await store.outputsOf(turn.id)).toEqual([]);
    expect((await store.getTurn(turn.id)).status).toBe('pending');
  });

  it('a failed import of a session graph writes nothing', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    const turnsBefore = await store.listTurns(session.id);
    const clone = { ...session, id: 'copy' };
    await expect(
      store.insertSessionGraph({
        session: clone,
        turns: [{ ...root, sessionId: 'copy' }], // same turn id as an existing one: primary key clash
        outputs: [],
        refs: [],
        blobs: [],
      }),
    ).rejects.toThrow();
    expect(await store.findSession('copy')).toBeUndefined();
    expect(await store.listTurns(session.id)).toEqual(turnsBefore);
  });
});

describe('status transitions', () => {
  it('move forward along allowed transitions only', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    const turn = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit' });
    await store.transitionTurn(turn.id, 'submitted', { requestId: 'req-1' });
    await store.transitionTurn(turn.id, 'running');
    await store.completeTurn(turn.id, []);
    const refused = store.transitionTurn(turn.id, 'pending');
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow('cannot move from succeeded to pending');
    await expect(store.transitionTurn(turn.id, 'failed')).rejects.toBeInstanceOf(ConflictError);
    const stored = await store.getTurn(turn.id);
    expect(stored.status).toBe('succeeded');
    expect(stored.requestId).toBe('req-1');
  });

  it('lists in-flight turns for resuming', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    const a = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit' });
    const b = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit' });
    await store.transitionTurn(b.id, 'submitted', { requestId: 'r' });
    await store.transitionTurn(a.id, 'failed', { errorCode: 'X' });
    expect((await store.inFlightTurns()).map((t) => t.id)).toEqual([b.id]);
  });
});

describe('refs and HEAD', () => {
  it('creates, renames, lists and deletes branches; refuses bad names and duplicates', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    await store.createRef(session.id, 'main', root.id);
    await expect(store.createRef(session.id, 'main', root.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(store.createRef(session.id, '../etc', root.id)).rejects.toBeInstanceOf(ValidationError);
    await store.renameRef(session.id, 'main', 'trunk');
    expect((await store.listRefs(session.id)).map((r) => r.name)).toEqual(['trunk']);
    await store.deleteRef(session.id, 'trunk');
    expect(await store.listRefs(session.id)).toEqual([]);
    await expect(store.deleteRef(session.id, 'trunk')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads a session with the turn at its HEAD and that turn’s outputs together', async () => {
    const store = SessionStore.inMemory();
    const empty = await store.createSession({ title: 'empty', defaultEndpoint: 'fal-ai/flux-pro/kontext' });
    expect(await store.headOf(empty.id)).toEqual({ session: empty, head: undefined, headOutputs: [] });
    const { session, root } = await sessionWithRoot(store);
    const hash = 'a'.repeat(64);
    await store.recordBlob({ hash, size: 1, contentType: 'image/png', width: 1, height: 1 });
    const edit = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit' }, { moveHead: true });
    await store.completeTurn(edit.id, [{ index: 0, providerUrl: null, blobHash: hash, width: 1, height: 1, contentType: 'image/png', nsfw: false }]);
    const { session: read, head, headOutputs } = await store.headOf(session.id);
    expect(read.headTurnId).toBe(edit.id);
    expect(head).toEqual(await store.getTurn(edit.id));
    expect(headOutputs).toEqual(await store.outputsOf(edit.id));
    expect(headOutputs).toHaveLength(1);
    await expect(store.headOf('nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('HEAD only points at a turn of its own session', async () => {
    const store = SessionStore.inMemory();
    const one = await sessionWithRoot(store);
    const two = await sessionWithRoot(store);
    await expect(store.checkoutHead(two.session.id, { turnId: one.root.id })).rejects.toBeInstanceOf(NotFoundError);
    expect((await store.getSession(two.session.id)).headTurnId).toBe(two.root.id);
  });

  it('a new turn takes along the branch HEAD is attached to only while that branch still points at its parent', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    await store.createRef(session.id, 'main', root.id);
    await store.checkoutHead(session.id, { turnId: root.id, branch: 'main' });
    const a = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit' }, { moveHead: true });
    expect(await store.getSession(session.id)).toMatchObject({ headTurnId: a.id, headRef: 'main' });
    expect((await store.findRef(session.id, 'main'))!.turnId).toBe(a.id);
    // Someone moves the branch elsewhere (another process, say): the next turn does not drag it back.
    await store.setRef(session.id, 'main', root.id);
    const b = await store.appendTurn({ sessionId: session.id, parentId: a.id, kind: 'edit' }, { moveHead: true });
    expect(await store.getSession(session.id)).toMatchObject({ headTurnId: b.id, headRef: null });
    expect((await store.findRef(session.id, 'main'))!.turnId).toBe(root.id);
  });

  it('makes ids of letters and digits only, so an id never reads as a command-line flag', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    let parent = root.id;
    const ids = [session.id, root.id];
    for (let i = 0; i < 300; i++) ids.push((parent = (await store.appendTurn({ sessionId: session.id, parentId: parent, kind: 'edit' })).id));
    expect(ids.filter((id) => !/^[A-Za-z0-9]{12}$/.test(id))).toEqual([]);
  });

  it('finds turns by a unique id prefix', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    const found = await store.findTurnsByPrefix(root.id.slice(0, 6), { sessionId: session.id });
    expect(found.map((t) => t.id)).toEqual([root.id]);
    expect(await store.findTurnsByPrefix("x%' or 1=1 --")).toEqual([]);
  });
});

describe('the submit mark', () => {
  it('is written only while the turn is pending and leased to the writer', async () => {
    const store = SessionStore.inMemory();
    const { session, root } = await sessionWithRoot(store);
    const turn = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit', params: { prompt: 'p' } }, { lease: { owner: 'a', ttlMs: 30_000 } });
    const at = new Date(5_000);
    expect(await store.markSubmitAttempt(turn.id, 'b', { prompt: 'p', image_url: 'u' }, at, 0)).toBeUndefined();
    expect((await store.getTurn(turn.id)).submitAttemptedAt).toBeNull();
    expect(await store.markSubmitAttempt(turn.id, 'a', { prompt: 'p', image_url: 'u' }, at, 0)).toMatchObject({ submitAttemptedAt: at, params: { prompt: 'p', image_url: 'u' } });
    await store.transitionTurn(turn.id, 'cancelled');
    expect(await store.markSubmitAttempt(turn.id, 'a', { prompt: 'p' }, new Date(6_000), 0)).toBeUndefined();
    expect(await store.getTurn(turn.id)).toMatchObject({ status: 'cancelled', submitAttemptedAt: at, params: { prompt: 'p', image_url: 'u' } });
    store.close();
  });
});

describe('leases', () => {
  it('a turn written leased is its runner’s; a claim writes only when the lease is not fresh, and never takes a live holder’s', async () => {
    let now = 1_000_000;
    const store = SessionStore.inMemory({ now: () => new Date(now) });
    const { session, root } = await sessionWithRoot(store);
    const turn = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit' }, { lease: { owner: 'a', ttlMs: 30_000 } });
    expect(turn).toMatchObject({ leaseOwner: 'a', leaseExpiresAt: new Date(now + 30_000) });
    // Fresh and ours: yes (the turn handed back as stored), and nothing rewritten.
    now += 10_000;
    expect(await store.claimTurn(turn.id, 'a', 30_000)).toEqual(turn);
    expect((await store.getTurn(turn.id)).leaseExpiresAt).toEqual(new Date(1_030_000));
    // Another runner while it is held: no.
    expect(await store.claimTurn(turn.id, 'b', 30_000)).toBeUndefined();
    // Ours but past half its time: renewed, and the turn handed back carries the new lease.
    now += 10_000;
    const renewed = await store.claimTurn(turn.id, 'a', 30_000);
    expect(renewed).toMatchObject({ id: turn.id, leaseOwner: 'a', leaseExpiresAt: new Date(now + 30_000) });
    expect(await store.getTurn(turn.id)).toEqual(renewed);
    // Expired: the other runner takes it.
    now += 31_000;
    expect(await store.claimTurn(turn.id, 'b', 30_000)).toMatchObject({ leaseOwner: 'b', leaseExpiresAt: new Date(now + 30_000) });
    expect((await store.getTurn(turn.id)).leaseOwner).toBe('b');
    // A finished turn is nobody's to run.
    await store.completeTurn(turn.id, [], { leaseOwner: null, leaseExpiresAt: null });
    expect(await store.claimTurn(turn.id, 'a', 30_000)).toBeUndefined();
    store.close();
  });
});

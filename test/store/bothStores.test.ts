import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError, ConflictError } from '../../src/errors/index.js';
import { redactDatabaseUrl, redactPassword } from '../../src/store/postgres/databaseUrl.js';
import { migratePostgres } from '../../src/store/postgres/migratePostgres.js';
import { PostgresSessionStore } from '../../src/store/postgres/PostgresSessionStore.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { createDatabase, postgresAvailable, postgresUnavailableReason, startPostgresCluster, type PostgresCluster } from '../support/postgresCluster.js';

let cluster: PostgresCluster | undefined;
beforeAll(async () => {
  if (postgresAvailable) cluster = await startPostgresCluster();
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

/** A clock one second further on each read, so creation order never ties. */
function steppingClock(): () => Date {
  let t = Date.UTC(2026, 0, 1);
  return () => new Date((t += 1000));
}

async function freshPostgres(): Promise<SessionStore> {
  const url = await createDatabase(cluster!);
  await migratePostgres(url);
  return PostgresSessionStore.connect(url, { now: steppingClock() });
}

const factories: { name: string; open: () => Promise<SessionStore>; skip?: string }[] = [
  { name: 'SQLite', open: async () => SessionStore.inMemory({ now: steppingClock() }) },
  { name: 'PostgreSQL', open: freshPostgres, skip: postgresUnavailableReason },
];

describe.each(factories)('$name store', ({ open, skip }) => {
  it.skipIf(skip !== undefined)(`keeps a branching tree, its paths and HEAD moves${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const store = await open();
    const session = await store.createSession({ title: 't', defaultEndpoint: 'e' });
    const root = await store.appendTurn({ sessionId: session.id, parentId: null, kind: 'source', status: 'succeeded' }, { moveHead: true });
    await store.createRef(session.id, 'main', root.id);
    await store.checkoutHead(session.id, { turnId: root.id, branch: 'main' });
    const a = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit', prompt: 'a' }, { moveHead: true });
    await store.completeTurn(a.id, []);
    const b = await store.appendTurn({ sessionId: session.id, parentId: a.id, kind: 'edit', prompt: 'b' }, { moveHead: true });
    const fork = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit', prompt: 'fork' });
    expect(await store.pathIds(b.id)).toEqual([root.id, a.id, b.id]);
    expect((await store.path(fork.id)).map((t) => t.id)).toEqual([root.id, fork.id]);
    expect((await store.pathSummaries(b.id)).map((t) => t.prompt)).toEqual([null, 'a', 'b']);
    expect((await store.findRef(session.id, 'main'))?.turnId).toBe(b.id);
    const undone = await store.undoHead(session.id);
    expect([undone.headTurnId, undone.headRef, undone.redoStack]).toEqual([a.id, 'main', [b.id]]);
    expect((await store.redoHead(session.id)).headTurnId).toBe(b.id);
    const { headMovedTo } = await store.endUnfinishedTurn(b.id, 'failed', { errorCode: 'PROVIDER' });
    expect(headMovedTo).toBe(a.id);
    expect((await store.findRef(session.id, 'main'))?.turnId).toBe(a.id);
    // Parents first, siblings oldest first.
    expect((await store.listTurns(session.id)).map((t) => t.id)).toEqual([root.id, a.id, fork.id, b.id]);
    expect((await store.inFlightTurns(session.id)).map((t) => t.id)).toEqual([fork.id]);
    const deletion = await store.deleteSubtree(a.id);
    expect(deletion.deletedTurnIds).toEqual([a.id, b.id]);
    expect((await store.getSession(session.id)).headTurnId).toBe(root.id);
    await store.close();
  });

  it.skipIf(skip !== undefined)('lets exactly one of several concurrent claimers run a turn, and enforces the budget across concurrent reservations', async () => {
    const store = await open();
    const session = await store.createSession({ defaultEndpoint: 'e', budgetMicros: 100 });
    const root = await store.appendTurn({ sessionId: session.id, parentId: null, kind: 'source', status: 'succeeded' });
    const turn = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit' });
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claimTurn(turn.id, `owner-${i}`, 60_000)));
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit' }, { reserveMicros: 30 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof BudgetExceededError)).toBe(true);
    await expect(store.transitionTurn(root.id, 'running')).rejects.toBeInstanceOf(ConflictError);
    await store.close();
  });

  it.skipIf(skip !== undefined)('forks a path, pins favourites, finds a job by request id, and releases only blobs no row refers to', async () => {
    const store = await open();
    const blob = (hash: string) => ({ hash: hash.repeat(64), size: 1, contentType: 'image/png', width: 1, height: 1 });
    const output = (hash: string) => ({ index: 0, providerUrl: null, blobHash: hash.repeat(64), width: 1, height: 1, contentType: 'image/png', nsfw: false });
    for (const h of ['a', 'b', 'c', 'd', 'e']) await store.recordBlob(blob(h));
    const session = await store.createSession({ title: 'kitchen', defaultEndpoint: 'e' });
    const root = await store.appendTurn({ sessionId: session.id, parentId: null, kind: 'source', status: 'succeeded' }, { moveHead: true, complete: { outputs: [output('a')] } });
    const edit = await store.appendTurn({ sessionId: session.id, parentId: root.id, kind: 'edit', prompt: 'donut', inputBlob: 'a'.repeat(64), referenceBlobs: ['c'.repeat(64)] });
    await store.completeTurn(edit.id, [output('b')]);
    const running = await store.appendTurn({ sessionId: session.id, parentId: edit.id, kind: 'edit', provider: 'fal' });
    await store.transitionTurn(running.id, 'submitted', { requestId: 'req-1' });

    expect((await store.findInFlightTurnByRequest('fal', 'req-1'))?.id).toBe(running.id);
    expect(await store.findInFlightTurnByRequest('bfl', 'req-1')).toBeUndefined();

    const fork = await store.forkSession(edit.id);
    const copied = await store.listTurns(fork.session.id);
    expect(copied.map((t) => t.prompt)).toEqual([null, 'donut']);
    expect(copied[1]!.referenceBlobs).toEqual(['c'.repeat(64)]);
    expect((await store.outputsOf(fork.copies.get(edit.id)!)).map((o) => o.blobHash)).toEqual(['b'.repeat(64)]);
    await expect(store.forkSession(running.id)).rejects.toBeInstanceOf(ConflictError);

    await store.setPinned(edit.id, true);
    await store.setPinned(root.id, true);
    const again = await store.setPinned(edit.id, true);
    expect((await store.pinnedTurns(session.id)).map((t) => t.id)).toEqual([edit.id, root.id]);
    expect(again.pinnedAt).not.toBeNull();
    await expect(store.setPinned(running.id, true)).rejects.toBeInstanceOf(ConflictError);
    await store.setPinned(root.id, false);
    expect((await store.pinnedTurns(session.id)).map((t) => t.id)).toEqual([edit.id]);

    const { referenced, oldestInFlightAt } = await store.blobReferences();
    expect([...referenced].sort()).toEqual(['a', 'b', 'c'].map((h) => h.repeat(64)));
    expect(oldestInFlightAt?.getTime()).toBe(running.createdAt.getTime());
    const all = ['a', 'b', 'c', 'd', 'e'].map((h) => h.repeat(64));
    expect(await store.releaseUnreferencedBlobs(all, { dryRun: true })).toEqual({ hashes: ['d'.repeat(64), 'e'.repeat(64)], rows: 2 });
    expect(await store.findBlob('d'.repeat(64))).toBeDefined();
    expect(await store.releaseUnreferencedBlobs(all)).toEqual({ hashes: ['d'.repeat(64), 'e'.repeat(64)], rows: 2 });
    expect(await store.findBlob('d'.repeat(64))).toBeUndefined();
    expect(await store.findBlob('c'.repeat(64))).toBeDefined();
    await store.close();
  });
});

describe('PostgreSQL migrations', () => {
  it.skipIf(!postgresAvailable)(`several concurrent migrators all succeed and the schema is applied once${postgresUnavailableReason ? ` (skipped: ${postgresUnavailableReason})` : ''}`, async () => {
    const url = await createDatabase(cluster!);
    await Promise.all(Array.from({ length: 4 }, () => migratePostgres(url)));
    const store = PostgresSessionStore.connect(url);
    const { rows } = await store.pool.query('select count(*)::int as n from drizzle.__drizzle_migrations');
    expect(rows[0].n).toBe(1);
    expect((await store.createSession({ defaultEndpoint: 'e' })).id).toBeTruthy();
    await store.close();
  });
});

describe('database URL redaction', () => {
  it('never shows the password, in the URL or in text that quotes it', () => {
    const url = 'postgres://kontext:s3cr%40t@db.invalid:5432/kontext';
    expect(redactDatabaseUrl(url)).toBe('postgres://kontext:***@db.invalid:5432/kontext');
    const message = redactPassword(`cannot connect to ${url} as kontext with s3cr@t`, url);
    expect(message).not.toContain('s3cr');
    expect(message).toContain('db.invalid');
  });
});

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors/index.js';
import { mulberry32 } from '../../src/providers/local/prng.js';
import { migrationsPending } from '../../src/store/openDatabase.js';
import { packageRoot } from '../../src/store/packageRoot.js';
import { SessionStore, type TurnRow } from '../../src/store/index.js';
import { testTempDir } from '../support/testTempDir.js';

// Paths are read through "segments" (chains of first children, see schema.ts). These tests
// check the paths against the plain definition — follow parent links up to the root — on
// random trees, on trees written by a bundle import, and on a database migrated from before
// segments existed.

const tempDir = () => testTempDir('kontext-segments-');

/** The path by definition: parent links from `id` up to the root, reversed. */
function pathByParents(turns: readonly Pick<TurnRow, 'id' | 'parentId'>[], id: string): string[] {
  const byId = new Map(turns.map((t) => [t.id, t]));
  const path: string[] = [];
  for (let t = byId.get(id); t; t = t.parentId === null ? undefined : byId.get(t.parentId)) path.push(t.id);
  return path.reverse();
}

/** A session whose tree grows by attaching each new turn under a random earlier one. */
async function randomTree(store: SessionStore, size: number, seed: number): Promise<{ sessionId: string; turns: TurnRow[] }> {
  const random = mulberry32(seed);
  const session = await store.createSession({ defaultEndpoint: 'fal-ai/flux-pro/kontext' });
  const root = await store.appendTurn({ sessionId: session.id, parentId: null, kind: 'source', status: 'succeeded' });
  const turns = [root];
  for (let i = 1; i < size; i++) {
    // Mostly extend a recent turn (long chains, as in real sessions), sometimes branch from anywhere.
    const from = random() < 0.7 ? turns[Math.max(0, turns.length - 1 - Math.floor(random() * 3))]! : turns[Math.floor(random() * turns.length)]!;
    turns.push(await store.appendTurn({ sessionId: session.id, parentId: from.id, kind: 'edit', prompt: `turn ${i}` }));
  }
  return { sessionId: session.id, turns };
}

async function expectPathsMatchParents(store: SessionStore, sessionId: string): Promise<void> {
  const turns = await store.listTurns(sessionId);
  for (const turn of turns) {
    const expected = pathByParents(turns, turn.id);
    expect(await store.pathIds(turn.id)).toEqual(expected);
    expect((await store.path(turn.id)).map((t) => t.id)).toEqual(expected);
    expect((await store.pathSummaries(turn.id)).map((t) => t.id)).toEqual(expected);
  }
  // The narrow rows `kontext log` reads say the same as the whole rows, in the same order.
  const summaryOf = ({ id, parentId, depth, kind, status, prompt, seedUsed, costMicros, originKind, errorCode, drift, pinnedAt }: TurnRow) =>
    ({ id, parentId, depth, kind, status, prompt, seedUsed, costMicros, originKind, errorCode, drift, pinnedAt });
  expect([...(await store.turnSummaries(sessionId))]).toEqual(turns.map(summaryOf));
}

/** Segment invariants straight from SQL: one turn per (segment, depth), each segment one chain. */
function expectSegmentsAreChains(file: string): void {
  const raw = new Database(file, { readonly: true });
  try {
    expect(raw.prepare('select count(*) as n from turns where segment_id is null').get()).toEqual({ n: 0 });
    const broken = raw
      .prepare(
        `select t.id from turns t
         where t.id <> t.segment_id
           and not exists (select 1 from turns p where p.id = t.parent_id and p.segment_id = t.segment_id and p.depth = t.depth - 1)`,
      )
      .all();
    expect(broken).toEqual([]);
    expect(raw.prepare('select count(*) as n from turns t where t.id = t.segment_id').get()).toEqual(
      raw.prepare('select count(distinct segment_id) as n from turns').get(),
    );
    // As few segments as the tree allows: one per root, plus one per child beyond a parent's first.
    const fewest = raw.prepare('select (select count(*) from turns where parent_id is null) + (select count(*) - count(distinct parent_id) from turns where parent_id is not null) as n').get();
    expect(raw.prepare('select count(distinct segment_id) as n from turns').get()).toEqual(fewest);
  } finally {
    raw.close();
  }
}

describe('paths through segments', () => {
  it('match the parent links for every turn of random branching trees', async () => {
    const dir = tempDir();
    const file = join(dir, 'k.db');
    const store = SessionStore.open(file);
    for (const seed of [1, 2, 3]) {
      const { sessionId, turns } = await randomTree(store, 150, seed);
      expect((await store.children(turns[0]!.id)).length).toBeGreaterThan(0);
      await expectPathsMatchParents(store, sessionId);
    }
    store.close();
    expectSegmentsAreChains(file);
  });

  it('are worked out again for a session written whole (bundle import)', async () => {
    const source = SessionStore.inMemory();
    const { sessionId } = await randomTree(source, 120, 7);
    const session = await source.getSession(sessionId);
    const turns = await source.listTurns(sessionId);
    const file = join(tempDir(), 'k.db');
    const target = SessionStore.open(file);
    await target.insertSessionGraph({ session, turns, outputs: [], refs: [], blobs: [] });
    await expectPathsMatchParents(target, sessionId);
    target.close();
    source.close();
    expectSegmentsAreChains(file);
  });

  it('are backfilled when a database from before segments is migrated', async () => {
    const dir = tempDir();
    // The migrations folder as it was before segments: the first migration only.
    const before = join(dir, 'migrations-0000');
    mkdirSync(join(before, 'meta'), { recursive: true });
    copyFileSync(join(packageRoot(), 'migrations', 'sqlite', '0000_init.sql'), join(before, '0000_init.sql'));
    const journal = JSON.parse(readFileSync(join(packageRoot(), 'migrations', 'sqlite', 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    writeFileSync(join(before, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.filter((e) => e.tag === '0000_init') }));
    const file = join(dir, 'old.db');
    const raw = new Database(file);
    migrate(drizzle(raw), { migrationsFolder: before });
    expect(raw.prepare("select count(*) as n from pragma_table_info('turns') where name = 'segment_id'").get()).toEqual({ n: 0 });

    // A branching tree written with the old columns, siblings created in a known order.
    const random = mulberry32(11);
    raw.prepare("insert into sessions (id, default_endpoint, created_at, updated_at) values ('s1', 'e', 0, 0)").run();
    const insert = raw.prepare("insert into turns (id, session_id, parent_id, depth, kind, status, created_at) values (?, 's1', ?, ?, 'edit', 'succeeded', ?)");
    const written: { id: string; parentId: string | null; depth: number }[] = [{ id: 't0', parentId: null, depth: 0 }];
    insert.run('t0', null, 0, 0);
    for (let i = 1; i < 200; i++) {
      const parent = written[random() < 0.6 ? written.length - 1 : Math.floor(random() * written.length)]!;
      const turn = { id: `t${i}`, parentId: parent.id, depth: parent.depth + 1 };
      insert.run(turn.id, turn.parentId, turn.depth, i);
      written.push(turn);
    }
    raw.close();

    const stale = new Database(file);
    expect(migrationsPending(stale, join(packageRoot(), 'migrations', 'sqlite'))).toBe(true);
    stale.close();
    const store = SessionStore.open(file);
    expect(migrationsPending(store.sqlite, join(packageRoot(), 'migrations', 'sqlite'))).toBe(false);
    for (const turn of written) expect(await store.pathIds(turn.id)).toEqual(pathByParents(written, turn.id));
    // New turns continue the migrated segments correctly.
    const added = await store.appendTurn({ sessionId: 's1', parentId: 't5', kind: 'edit' });
    expect(await store.pathIds(added.id)).toEqual([...pathByParents(written, 't5'), added.id]);
    store.close();
    expectSegmentsAreChains(file);
  });
});

describe('appendChain (exact replays)', () => {
  it('writes the chain, its outputs and the branch with HEAD attached, in one go', async () => {
    const store = SessionStore.inMemory();
    const { sessionId, turns } = await randomTree(store, 5, 3);
    await store.recordBlob({ hash: 'a'.repeat(64), size: 1, contentType: 'image/png', width: 1, height: 1 });
    const output = { index: 0, providerUrl: null, blobHash: 'a'.repeat(64), width: 1, height: 1, contentType: 'image/png', nsfw: false };
    const steps = [1, 2, 3].map((i) => ({ turn: { kind: 'edit' as const, prompt: `copy ${i}` }, outputs: [output], patch: { seedUsed: i } }));
    const { turns: written } = await store.appendChain(sessionId, turns[0]!.id, steps, { branch: 'copy' });
    expect(written.map((t) => [t.prompt, t.status, t.seedUsed, t.depth])).toEqual([
      ['copy 1', 'succeeded', 1, 1],
      ['copy 2', 'succeeded', 2, 2],
      ['copy 3', 'succeeded', 3, 3],
    ]);
    expect(await store.pathIds(written[2]!.id)).toEqual([turns[0]!.id, ...written.map((t) => t.id)]);
    expect((await store.outputsOf(written[1]!.id)).map((o) => o.blobHash)).toEqual(['a'.repeat(64)]);
    expect(await store.findRef(sessionId, 'copy')).toMatchObject({ turnId: written[2]!.id });
    expect(await store.getSession(sessionId)).toMatchObject({ headTurnId: written[2]!.id, headRef: 'copy' });
    store.close();
  });

  it('writes nothing when the branch is taken', async () => {
    const store = SessionStore.inMemory();
    const { sessionId, turns } = await randomTree(store, 3, 4);
    await store.createRef(sessionId, 'taken', turns[1]!.id);
    const before = (await store.listTurns(sessionId)).length;
    const head = await store.getSession(sessionId);
    await expect(store.appendChain(sessionId, turns[0]!.id, [{ turn: { kind: 'edit', prompt: 'x' }, outputs: [] }], { branch: 'taken' })).rejects.toBeInstanceOf(ConflictError);
    expect((await store.listTurns(sessionId)).length).toBe(before);
    expect(await store.getSession(sessionId)).toEqual(head);
    store.close();
  });
});

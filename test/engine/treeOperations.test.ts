import { createHash } from 'node:crypto';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors/index.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';

const HOUR = 60 * 60 * 1000;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function setup() {
  // A clock that ticks a millisecond per read: pins made one after another never tie.
  let t = Date.now();
  const store = SessionStore.inMemory({ now: () => new Date(++t) });
  const blobs = new MemoryBlobStore();
  const gated = gatedProvider(createLocalProvider());
  const engine = new SessionEngine({ store, blobs, providers: [gated.provider] });
  const session = await engine.startSession({ image: { bytes: await testImage() }, title: 'kitchen', budgetMicros: 5_000_000 });
  return { engine, store, blobs, gated, session };
}

describe('fork', () => {
  it('copies the path root → turn into a new session: new ids, same images, HEAD on the copy attached to main, no spend', async () => {
    const { engine, store, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    await engine.edit(session.id, 'make it winter', { seed: 3 }, { from: a.id });
    await engine.pin(a.id);

    const { session: fork, turnIds, skipped } = await engine.fork(b.id);

    expect(skipped).toEqual([]);
    expect(Object.keys(turnIds)).toEqual([session.headTurnId, a.id, b.id]);
    expect(fork).toMatchObject({ title: 'kitchen (fork)', owner: null, headTurnId: turnIds[b.id], headRef: 'main', redoStack: [], budgetMicros: 5_000_000 });
    const copied = await engine.path(turnIds[b.id]!);
    const original = await engine.path(b.id);
    expect(copied.map((t) => t.id)).toEqual(original.map((t) => turnIds[t.id]));
    expect(copied.map((t) => t.sessionId)).toEqual([fork.id, fork.id, fork.id]);
    expect(copied.map((t) => t.outputs.map((o) => o.blobHash))).toEqual(original.map((t) => t.outputs.map((o) => o.blobHash)));
    expect(copied.map((t) => [t.prompt, t.seedUsed, t.originKind, t.originTurnId, t.costMicros])).toEqual(original.map((t) => [t.prompt, t.seedUsed, 'fork', t.id, 0]));
    expect(copied[1]!.pinned).toBe(true);
    expect((await engine.cost(fork.id)).totalMicros).toBe(0);
    expect((await engine.tree(fork.id)).turns).toHaveLength(3);
    // The source is unchanged, and the fork goes on by itself.
    expect((await engine.tree(session.id)).turns).toHaveLength(4);
    const next = await engine.edit(fork.id, 'make it green', { seed: 4 });
    expect(next).toMatchObject({ sessionId: fork.id, parentId: turnIds[b.id], status: 'succeeded' });
    expect((await engine.listBranches(fork.id)).map((r) => [r.name, r.turnId])).toEqual([['main', next.id]]);
  });

  it('whole: every finished turn and branch, running turns and their follow-ups left out, branches on them moved up', async () => {
    const { engine, gated, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const side = await engine.edit(session.id, 'make it blue', { seed: 2 }, { from: session.headTurnId! });
    await engine.createBranch(session.id, 'blue', side.id);
    await engine.checkout(session.id, 'main');
    gated.hold('slow');
    const running = await engine.startEdit(session.id, 'make it night [slow]', { seed: 3 });
    const followUp = await engine.startEdit(session.id, 'and add stars', { seed: 4 });
    await engine.createBranch(session.id, 'night', running.turn.id);

    const { session: fork, turnIds, skipped } = await engine.fork(a.id, { whole: true, title: 'everything' });

    expect(skipped.sort()).toEqual([running.turn.id, followUp.turn.id].sort());
    expect(Object.keys(turnIds).sort()).toEqual([session.headTurnId!, a.id, side.id].sort());
    const branches = Object.fromEntries((await engine.listBranches(fork.id)).map((r) => [r.name, r.turnId]));
    // main and night were on the running turns: they move up to the copy of `a`, where HEAD is.
    expect(branches).toEqual({ blue: turnIds[side.id], main: turnIds[a.id], night: turnIds[a.id] });
    expect(fork).toMatchObject({ title: 'everything', headTurnId: turnIds[a.id], headRef: 'main' });
    gated.release('slow');
    await running.result();
    await followUp.result();
  });

  it('refuses a running turn, an unknown turn and bad options, writing nothing', async () => {
    const { engine, gated, session } = await setup();
    gated.hold('slow');
    const running = await engine.startEdit(session.id, 'make it night [slow]', { seed: 3 });
    const before = (await engine.listSessions()).length;
    await expect(engine.fork(running.turn.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(engine.fork('zzzzzzzzzzzz')).rejects.toBeInstanceOf(NotFoundError);
    const bad = await engine.fork(session.headTurnId!, { whole: 'yes' as unknown as boolean, title: 'x'.repeat(201) }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).issues.map((i) => i.field).sort()).toEqual(['title', 'whole']);
    expect((await engine.listSessions()).length).toBe(before);
    gated.release('slow');
    await running.result();
  });
});

describe('pins', () => {
  it('pin and unpin are idempotent, list in pin order, and refuse a turn that has not succeeded', async () => {
    const { engine, gated, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    expect((await engine.pin(b.id)).pinned).toBe(true);
    expect((await engine.pin(a.id)).pinned).toBe(true);
    expect((await engine.pin(b.id)).pinned).toBe(true);
    expect((await engine.pins(session.id)).map((t) => t.id)).toEqual([b.id, a.id]);
    expect((await engine.unpin(b.id)).pinned).toBe(false);
    expect((await engine.unpin(b.id)).pinned).toBe(false);
    expect((await engine.pins(session.id)).map((t) => t.id)).toEqual([a.id]);

    gated.hold('slow');
    const running = await engine.startEdit(session.id, 'make it winter [slow]', { seed: 3 });
    await expect(engine.pin(running.turn.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(engine.pin('zzzzzzzzzzzz')).rejects.toBeInstanceOf(NotFoundError);
    gated.release('slow');
    await running.result();
  });
});

describe('archive garbage collection', () => {
  /** A file archive whose database clock runs `lagMs` behind: its turns and rows look that old. */
  async function fileSetup(lagMs = 0) {
    const dir = testTempDir('kontext-gc-');
    const blobs = new FileBlobStore(dir);
    const store = SessionStore.inMemory({ now: () => new Date(Date.now() - lagMs) });
    const gated = gatedProvider(createLocalProvider());
    const engine = new SessionEngine({ store, blobs, providers: [gated.provider] });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    /** Sets when a blob's bytes were last put. */
    const putAt = (hash: string, ms: number) => utimesSync(blobs.localPath(hash)!, new Date(ms), new Date(ms));
    return { dir, blobs, store, gated, engine, session, putAt };
  }

  it('keeps a reference image a turn carries, however old; it goes with the last turn that carried it', async () => {
    const { engine, session, putAt } = await fileSetup(3 * HOUR);
    const reference = await testImage(48, 32);
    const turn = await engine.edit(session.id, 'put this mug on the table', { seed: 1 }, { references: [{ bytes: reference }] });
    const hash = sha256(reference);
    expect(turn.referenceBlobs).toEqual([hash]);
    putAt(hash, Date.now() - 2 * HOUR);
    const kept = await engine.collectGarbage({ dryRun: false });
    expect(kept.blobs.count).toBe(0);
    expect(sha256(await engine.blobs.get(hash))).toBe(hash);

    await engine.deleteSubtree(session.id, turn.id);
    for (const o of turn.outputs) putAt(o.blobHash, Date.now() - 2 * HOUR);
    const done = await engine.collectGarbage({ dryRun: false });
    expect(done.blobs.hashes).toContain(hash);
    expect(await engine.blobs.has(hash)).toBe(false);
  });

  it('removes a blob no turn refers to (after a delete) and its metadata row once older than the grace period; a dry run only reports', async () => {
    const { engine, store, session, putAt } = await fileSetup(3 * HOUR);
    await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    const orphaned = b.outputs[0]!.blobHash;
    await engine.deleteSubtree(session.id, b.id);

    const young = await engine.collectGarbage({ dryRun: false });
    expect(young).toMatchObject({ blobs: { count: 0 }, keptRecent: 1 });
    expect(await engine.blobs.has(orphaned)).toBe(true);

    putAt(orphaned, Date.now() - 2 * HOUR);
    const dry = await engine.collectGarbage();
    expect(dry).toMatchObject({ dryRun: true, blobs: { count: 1, hashes: [orphaned] }, metadataRows: 1 });
    expect(await engine.blobs.has(orphaned)).toBe(true);
    expect(await store.findBlob(orphaned)).toBeDefined();

    const done = await engine.collectGarbage({ dryRun: false });
    expect(done.blobs).toMatchObject({ count: 1, hashes: [orphaned] });
    expect(done.blobs.bytes).toBe(dry.blobs.bytes);
    expect(done.blobs.bytes).toBeGreaterThan(0);
    expect(done.metadataRows).toBe(1);
    expect(await engine.blobs.has(orphaned)).toBe(false);
    expect(await store.findBlob(orphaned)).toBeUndefined();
    for (const t of (await engine.tree(session.id)).turns) for (const o of t.outputs) expect(sha256(await engine.blobs.get(o.blobHash))).toBe(o.blobHash);
  });

  it('keeps a blob put after the oldest running turn was written, even with no grace period; one put before it goes', async () => {
    // Turns written "3 hours ago": the running one protects whatever was put since.
    const { engine, gated, session, blobs, putAt } = await fileSetup(3 * HOUR);
    gated.hold('slow');
    const running = await engine.startEdit(session.id, 'make it night [slow]', { seed: 3 });
    const pending = await blobs.put(Buffer.from('archived by a write that has not recorded it yet'));
    const stale = await blobs.put(Buffer.from('orphaned before any running turn'));
    putAt(pending.hash, Date.now() - HOUR);
    putAt(stale.hash, Date.now() - 4 * HOUR);
    const report = await engine.collectGarbage({ dryRun: false, minAgeMs: 0 });
    expect(report.blobs.hashes).toEqual([stale.hash]);
    expect(await blobs.has(pending.hash)).toBe(true);
    gated.release('slow');
    await running.result();
  });

  it('a fork shares images: deleting the source keeps every image the fork refers to', async () => {
    const { engine, session, dir } = await fileSetup(3 * HOUR);
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    await engine.edit(session.id, 'make it night', { seed: 2 });
    const { session: fork } = await engine.fork(a.id);
    await engine.deleteSession(session.id);
    ageEverything(dir, Date.now() - 2 * HOUR);
    // Only the night picture went with the source; the fork's images all stay.
    expect((await engine.collectGarbage({ dryRun: false })).blobs.count).toBe(1);
    for (const t of (await engine.tree(fork.id)).turns) for (const o of t.outputs) expect(sha256(await engine.blobs.get(o.blobHash))).toBe(o.blobHash);
  });

  it('sweeps an old temp file, keeps a fresh one, and a re-put of old orphan bytes makes them fresh', async () => {
    const { engine, dir, blobs, putAt } = await fileSetup();
    const old = join(dir, '.tmp-killed-write');
    const fresh = join(dir, '.tmp-live-write');
    writeFileSync(old, Buffer.alloc(1000));
    writeFileSync(fresh, Buffer.alloc(10));
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    const orphan = await blobs.put(Buffer.from('an orphan from long ago'));
    putAt(orphan.hash, twoHoursAgo.getTime());

    const dry = await engine.collectGarbage();
    expect(dry).toMatchObject({ blobs: { count: 1, hashes: [orphan.hash] }, temporary: { count: 1, bytes: 1000 } });
    expect(existsSync(old)).toBe(true);

    // The same bytes come again (as a running turn's output would): fresh now, so they stay.
    await blobs.put(Buffer.from('an orphan from long ago'));
    const done = await engine.collectGarbage({ dryRun: false });
    expect(done.blobs.count).toBe(0);
    expect(done.temporary).toEqual({ count: 1, bytes: 1000 });
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(await blobs.has(orphan.hash)).toBe(true);
  });

  it('a blob is released (its row deleted) only while unreferenced; a reference copied after that fails its foreign key', async () => {
    const { engine, store, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const hash = a.outputs[0]!.blobHash;
    const copy = (parentId: string) => store.appendTurn({ sessionId: session.id, parentId, kind: 'edit', prompt: 'copy' }, { complete: { outputs: [{ index: 0, blobHash: hash, providerUrl: null, width: null, height: null, contentType: 'image/png', nsfw: false }] } });
    expect(await store.releaseUnreferencedBlobs([hash])).toEqual({ hashes: [], rows: 0 });
    await engine.deleteSubtree(session.id, a.id);
    expect(await store.releaseUnreferencedBlobs([hash], { dryRun: true })).toEqual({ hashes: [hash], rows: 1 });
    expect(await store.findBlob(hash)).toBeDefined();
    expect(await store.releaseUnreferencedBlobs([hash])).toEqual({ hashes: [hash], rows: 1 });
    // A memo hit or exact replay that read the reference before the delete cannot write it now.
    await expect(copy(session.headTurnId!)).rejects.toThrow(/FOREIGN KEY/);
  });

  it('refuses a negative grace period naming the field', async () => {
    const { engine } = await setup();
    await expect(engine.collectGarbage({ minAgeMs: -1 })).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ field: 'minAgeMs' }] });
  });
});

/** Sets every archived file's time to `ms`. */
function ageEverything(dir: string, ms: number): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) utimesSync(join(entry.parentPath, entry.name), new Date(ms), new Date(ms));
  }
}

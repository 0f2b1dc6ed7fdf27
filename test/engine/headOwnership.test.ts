import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { ConflictError } from '../../src/errors/index.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { testImage } from '../support/images.js';

async function setup() {
  const store = SessionStore.inMemory();
  const gated = gatedProvider(createLocalProvider());
  const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [gated.provider] });
  const session = await engine.startSession({ image: { bytes: await testImage() } });
  return { engine, store, gated, session };
}

describe('a failed or cancelled turn leaves the branch and HEAD on the last good turn', () => {
  it('after a failed edit, HEAD stays attached to main on the parent, and the next edit continues main', async () => {
    const { engine, session } = await setup();
    const good = await engine.edit(session.id, 'make it red', { seed: 1 });
    const failed = await engine.edit(session.id, 'fail please', { seed: 2 });
    expect(failed.status).toBe('failed');
    expect(failed.errorCode).toBe('PROVIDER');

    const after = await engine.getSession(session.id);
    expect(after).toMatchObject({ headTurnId: good.id, headRef: 'main' });
    expect((await engine.listBranches(session.id)).find((b) => b.name === 'main')?.turnId).toBe(good.id);

    const next = await engine.edit(session.id, 'make it night', { seed: 3 });
    expect(next).toMatchObject({ status: 'succeeded', parentId: good.id });
    expect(await engine.getSession(session.id)).toMatchObject({ headTurnId: next.id, headRef: 'main' });
    // `--from main` continues from the good turn, never "no image to continue from".
    const fromMain = await engine.edit(session.id, 'make it winter', { seed: 4 }, { from: 'main' });
    expect(fromMain).toMatchObject({ status: 'succeeded', parentId: next.id });
  });

  it('a cancelled edit does the same', async () => {
    const { engine, gated, session } = await setup();
    gated.hold('slow');
    const handle = await engine.startEdit(session.id, 'make it red [slow]', { seed: 1 });
    expect(await engine.getSession(session.id)).toMatchObject({ headTurnId: handle.turn.id, headRef: 'main' });
    const cancelled = await handle.cancel();
    expect(cancelled.status).toBe('cancelled');
    expect(await engine.getSession(session.id)).toMatchObject({ headTurnId: session.headTurnId, headRef: 'main' });
    expect((await engine.listBranches(session.id))[0]).toMatchObject({ name: 'main', turnId: session.headTurnId });
  });

  it('a follow-up of a turn that fails fails too, and HEAD returns to the last good turn', async () => {
    const { engine, gated, session } = await setup();
    const good = await engine.edit(session.id, 'make it red', { seed: 1 });
    gated.hold('slow');
    const parent = await engine.startEdit(session.id, 'fail [slow]', { seed: 2 });
    const child = await engine.startEdit(session.id, 'make it night', { seed: 3 });
    expect(child.turn.parentId).toBe(parent.turn.id);
    gated.release('slow');
    expect((await parent.result()).status).toBe('failed');
    const ended = await child.result();
    expect(ended).toMatchObject({ status: 'failed', errorCode: 'CONFLICT' });
    expect(ended.errorMessage).toContain(parent.turn.id);
    expect(await engine.getSession(session.id)).toMatchObject({ headTurnId: good.id, headRef: 'main' });
    // Only the parent reached the provider; the follow-up was never sent.
    expect(gated.submitted).toEqual(['make it red', 'fail [slow]']);
  });
});

describe('undo, redo and checkout report the attached branch truthfully', () => {
  it('undo takes the attached branch back with HEAD, redo forward again', async () => {
    const { engine, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    const undone = await engine.undo(session.id);
    expect(undone).toMatchObject({ headTurnId: a.id, headRef: 'main', redoStack: [b.id] });
    expect((await engine.listBranches(session.id))[0]!.turnId).toBe(a.id);
    const redone = await engine.redo(session.id);
    expect(redone).toMatchObject({ headTurnId: b.id, headRef: 'main', redoStack: [] });
    expect((await engine.listBranches(session.id))[0]!.turnId).toBe(b.id);
  });

  it('checkout HEAD changes nothing; a turn id detaches; a branch attaches', async () => {
    const { engine, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    await engine.edit(session.id, 'make it night', { seed: 2 });
    await engine.undo(session.id);
    const before = await engine.getSession(session.id);
    expect(await engine.checkout(session.id, 'HEAD')).toMatchObject({ headTurnId: before.headTurnId, headRef: 'main', redoStack: before.redoStack });
    expect(await engine.checkout(session.id, session.headTurnId!)).toMatchObject({ headTurnId: session.headTurnId, headRef: null, redoStack: [] });
    expect(await engine.checkout(session.id, 'main')).toMatchObject({ headTurnId: a.id, headRef: 'main' });
  });

  it('redo skips a turn that failed after it was undone, and says so when nothing is left', async () => {
    const { engine, gated, session } = await setup();
    const good = await engine.edit(session.id, 'make it red', { seed: 1 });
    gated.hold('slow');
    const doomed = await engine.startEdit(session.id, 'fail [slow]', { seed: 2 });
    // Undo while it runs: the running turn goes on the redo stack.
    expect(await engine.undo(session.id)).toMatchObject({ headTurnId: good.id, redoStack: [doomed.turn.id] });
    gated.release('slow');
    expect((await doomed.result()).status).toBe('failed');
    expect((await engine.getSession(session.id)).redoStack).toEqual([]);
    await expect(engine.redo(session.id)).rejects.toBeInstanceOf(ConflictError);
    expect(await engine.getSession(session.id)).toMatchObject({ headTurnId: good.id, headRef: 'main' });
    expect((await engine.edit(session.id, 'make it night', { seed: 3 })).status).toBe('succeeded');
  });
});

describe('a session started from a prompt', () => {
  it('has its root turn, branch main and HEAD attached to it (a start killed midway: test/concurrency)', async () => {
    const { engine, store } = await setup();
    const started = await engine.startSession({ prompt: 'a bowl of fruit', params: { seed: 9 } });
    const tree = await engine.tree(started.id);
    expect(tree.turns).toHaveLength(1);
    expect(tree.turns[0]).toMatchObject({ kind: 'text', status: 'succeeded', parentId: null });
    expect(started).toMatchObject({ headTurnId: tree.turns[0]!.id, headRef: 'main' });
    expect(await store.findRef(started.id, 'main')).toMatchObject({ turnId: tree.turns[0]!.id });
  });
});

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

describe('deleting a subtree', () => {
  it('removes the turn and its descendants with their outputs; HEAD, its branch and other branches move to the parent', async () => {
    const { engine, store, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    const c = await engine.edit(session.id, 'make it winter', { seed: 3 });
    await engine.createBranch(session.id, 'side', b.id);
    const sibling = await engine.edit(session.id, 'make it blue', { seed: 4 }, { from: a.id });
    await engine.checkout(session.id, 'main');

    const deletion = await engine.deleteSubtree(session.id, b.id);

    expect(deletion).toMatchObject({ parentId: a.id, deletedTurnIds: [b.id, c.id], deletedBranches: [], headMovedTo: a.id });
    expect(deletion.movedBranches.sort()).toEqual(['main', 'side']);
    expect(await store.findTurn(b.id)).toBeUndefined();
    expect(await store.findTurn(c.id)).toBeUndefined();
    expect(await store.outputsOf(c.id)).toEqual([]);
    expect(await store.findTurn(sibling.id)).toBeDefined();
    expect(await engine.getSession(session.id)).toMatchObject({ headTurnId: a.id, headRef: 'main' });
    const branches = Object.fromEntries((await engine.listBranches(session.id)).map((r) => [r.name, r.turnId]));
    expect(branches).toMatchObject({ main: a.id, side: a.id });
    // The tree stays usable: the next edit continues from the parent on main.
    const next = await engine.edit(session.id, 'make it green', { seed: 5 });
    expect(next).toMatchObject({ status: 'succeeded', parentId: a.id });
    expect((await store.path(next.id)).map((t) => t.id)).toEqual([session.headTurnId, a.id, next.id]);
  });

  it('with deleteBranches, branches inside go and HEAD detaches onto the parent', async () => {
    const { engine, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    await engine.createBranch(session.id, 'side', b.id);
    const deletion = await engine.deleteSubtree(session.id, a.id, { deleteBranches: true });
    expect(deletion.deletedBranches.sort()).toEqual(['main', 'side']);
    expect(deletion.deletedTurnIds).toEqual([a.id, b.id]);
    expect(await engine.listBranches(session.id)).toEqual([]);
    expect(await engine.getSession(session.id)).toMatchObject({ headTurnId: session.headTurnId, headRef: null });
  });

  it('a branch outside the subtree and HEAD outside it stay where they were; the redo stack loses deleted turns', async () => {
    const { engine, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    await engine.undo(session.id);
    expect((await engine.getSession(session.id)).redoStack).toEqual([b.id]);
    const deletion = await engine.deleteSubtree(session.id, b.id);
    expect(deletion.headMovedTo).toBeUndefined();
    expect(await engine.getSession(session.id)).toMatchObject({ headTurnId: a.id, headRef: 'main', redoStack: [] });
    await expect(engine.redo(session.id)).rejects.toBeInstanceOf(ConflictError);
  });

  it('is refused while a turn in the subtree runs, and nothing changes', async () => {
    const { engine, store, gated, session } = await setup();
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    gated.hold('slow');
    const running = await engine.startEdit(session.id, 'make it night [slow]', { seed: 2 });
    const refusal = await engine.deleteSubtree(session.id, a.id).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ConflictError);
    expect((refusal as ConflictError).details).toMatchObject({ running: [running.turn.id] });
    expect(await store.findTurn(a.id)).toBeDefined();
    expect((await engine.getSession(session.id)).headTurnId).toBe(running.turn.id);
    gated.release('slow');
    expect((await running.result()).status).toBe('succeeded');
    expect((await engine.deleteSubtree(session.id, a.id)).deletedTurnIds).toEqual([a.id, running.turn.id]);
  });

  it('refuses the root and an unknown turn', async () => {
    const { engine, session } = await setup();
    await expect(engine.deleteSubtree(session.id, session.headTurnId!)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(engine.deleteSubtree(session.id, 'zzzzzzzzzz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

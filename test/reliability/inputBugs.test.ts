import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { ValidationError } from '../../src/errors/ValidationError.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { testImage } from '../support/images.js';
import { snapshotDiff, snapshotStore } from './support/storeSnapshot.js';

/**
 * Bugs the bad-input corpus found, one behaviour each, so each fix stays fixed even if the
 * corpus changes. Every one of them either wrote to the store on refused input, threw
 * something other than a KontextError, or silently acted on the wrong thing.
 */
function engineWithSession() {
  const store = SessionStore.inMemory();
  const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [createLocalProvider()] });
  return { store, engine };
}

describe('refused input leaves nothing behind and is refused clearly', () => {
  it('a turn id prefix is matched literally and case-sensitively (no LIKE wildcards)', async () => {
    const { engine } = engineWithSession();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const root = session.headTurnId!;
    // The only turn of the session: a `_` wildcard or a wrong-case prefix used to pick it.
    await expect(engine.resolveTurn(session.id, '____')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(engine.resolveTurn(session.id, `${root.slice(0, 2)}__`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const swapped = [...root.slice(0, 6)].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
    if (swapped !== root.slice(0, 6)) await expect(engine.resolveTurn(session.id, swapped)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await engine.resolveTurn(session.id, root.slice(0, 6))).id).toBe(root);
  });

  it('a truncated PNG is refused when starting a session, and nothing is stored', async () => {
    const { engine, store } = engineWithSession();
    const png = await testImage();
    const before = snapshotStore(store);
    await expect(engine.startSession({ image: { bytes: png.subarray(0, Math.floor(png.length / 2)) } })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('image') });
    expect(snapshotDiff(before, snapshotStore(store))).toEqual([]);
  });

  it('an image that is not one of the tagged forms is a ValidationError, not a TypeError', async () => {
    const { engine } = engineWithSession();
    for (const image of [7, null, 'photo.png', new Uint8Array(8), { url: 'x' }, { bytes: 'not bytes' }, { path: 'a.png', url: 'https://example.com/a.png' }]) {
      await expect(engine.startSession({ image: image as never })).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it('updateSession refuses a budget that is not a whole non-negative number of micro-dollars', async () => {
    const { engine, store } = engineWithSession();
    const session = await engine.startSession({ image: { bytes: await testImage() }, budgetMicros: 1000 });
    for (const budget of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '100']) {
      await expect(engine.updateSession(session.id, { budgetMicros: budget as never })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('budgetMicros') });
    }
    expect((await store.getSession(session.id)).budgetMicros).toBe(1000);
    expect((await engine.updateSession(session.id, { budgetMicros: null })).budgetMicros).toBeNull();
  });

  it('a replay into an invalid branch name is refused before any turn is copied', async () => {
    const { engine, store } = engineWithSession();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    await engine.edit(session.id, 'make it red', { seed: 1 });
    const before = snapshotStore(store);
    await expect(engine.replay(session.id, { branch: '../evil' })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(snapshotDiff(before, snapshotStore(store))).toEqual([]);
  });

  it('a what-if on a turn carrying a 100-character branch completes and copies the branch', async () => {
    const { engine } = engineWithSession();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const first = await engine.edit(session.id, 'make it red', { seed: 1 });
    const long = 'b'.repeat(100);
    await engine.createBranch(session.id, long, first.id);
    const result = await engine.whatIf(session.id, first.id, { prompt: 'make it blue' });
    const copy = result.branches[long]!;
    expect(copy).toMatch(/-whatif$/);
    expect(copy.length).toBeLessThanOrEqual(100);
    expect((await engine.head(session.id))!.id).toBe(result.mapping[first.id]);
  });
});

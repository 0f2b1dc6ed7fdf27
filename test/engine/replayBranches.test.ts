import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { testImage } from '../support/images.js';

async function sessionWithTwoEdits() {
  const gated = gatedProvider(createLocalProvider());
  const store = SessionStore.inMemory();
  const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [gated.provider] });
  const session = await engine.startSession({ image: { bytes: await testImage() } });
  await engine.edit(session.id, 'make it red', { seed: 1 });
  await engine.edit(session.id, 'make it night', { seed: 2 });
  gated.submitted.length = 0;
  return { engine, store, gated, session };
}

describe('replays take their branch before they spend', () => {
  it('two fresh replays at once: two distinct branches, and provider calls equal the turns kept', async () => {
    const { engine, store, gated, session } = await sessionWithTwoEdits();
    const [a, b] = await Promise.all([engine.replay(session.id, { mode: 'fresh' }), engine.replay(session.id, { mode: 'fresh' })]);
    expect(new Set([a.branch, b.branch])).toEqual(new Set(['replay-1', 'replay-2']));
    const kept = (await store.listTurns(session.id)).filter((t) => t.originKind === 'replay-fresh');
    expect(kept).toHaveLength(4);
    expect(gated.submitted).toHaveLength(kept.length);
    for (const report of [a, b]) expect((await engine.listBranches(session.id)).find((r) => r.name === report.branch)?.turnId).toBe(report.tip);
  });

  it('two exact replays at once: both land, on two branches, with nothing sent', async () => {
    const { engine, gated, session } = await sessionWithTwoEdits();
    const [a, b] = await Promise.all([engine.replay(session.id), engine.replay(session.id)]);
    expect(new Set([a.branch, b.branch]).size).toBe(2);
    expect(gated.submitted).toHaveLength(0);
  });

  it('a fresh replay onto a name that is taken is refused before anything is sent', async () => {
    const { engine, gated, session } = await sessionWithTwoEdits();
    await engine.createBranch(session.id, 'mine');
    await expect(engine.replay(session.id, { mode: 'fresh', branch: 'mine' })).rejects.toThrow(/already exists/);
    expect(gated.submitted).toHaveLength(0);
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { openEngine } from '../../src/engine/openEngine.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';

describe('closing an engine closes what it opened, and nothing it was given', () => {
  it('an engine built from a store and providers leaves them open', async () => {
    const store = SessionStore.inMemory();
    let providerClosed = false;
    const provider = createLocalProvider();
    const watched = { ...provider, close: async () => void (providerClosed = true) };
    const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [watched] });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    await engine[Symbol.asyncDispose]();
    expect(providerClosed).toBe(false);
    // The store is still the caller's to use.
    expect((await store.getSession(session.id)).id).toBe(session.id);
    store.close();
  });

  it('openEngine’s engine owns its database and providers: engine.close() closes them, once', async () => {
    const dataDir = testTempDir('lifecycle-');
    const { engine } = openEngine({ dataDir, provider: 'local', env: {} });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    await engine.close();
    await engine.close();
    await expect(engine.store.getSession(session.id)).rejects.toThrow(/not open/);
    // What it wrote is on disk for the next process.
    const again = SessionStore.open(join(dataDir, 'kontext.db'));
    expect((await again.getSession(session.id)).headRef).toBe('main');
    again.close();
  });
});

describe('resume() reports what it did', () => {
  it('finished here, held by a live process elsewhere, or left for a provider not configured here', async () => {
    const store = SessionStore.inMemory();
    const gated = gatedProvider(createLocalProvider());
    const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [gated.provider] });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const root = session.headTurnId!;
    // A pending turn nobody holds: this engine runs it.
    const orphan = await store.appendTurn({ sessionId: session.id, parentId: root, kind: 'edit', endpointId: 'local/kontext-sim', provider: 'local', prompt: 'make it red', params: { prompt: 'make it red', seed: 1 }, inputBlob: (await store.outputsOf(root))[0]!.blobHash });
    // One on fal, which this engine lacks: left alone, not failed.
    const onFal = await store.appendTurn({ sessionId: session.id, parentId: root, kind: 'edit', endpointId: 'fal-ai/flux-pro/kontext', provider: 'fal', prompt: 'x', params: { prompt: 'x' } });
    // One a live process holds (this one, through another engine's lease).
    const held = await store.appendTurn({ sessionId: session.id, parentId: root, kind: 'edit', endpointId: 'local/kontext-sim', provider: 'local', prompt: 'y', params: { prompt: 'y', seed: 2 } }, { lease: { owner: 'other-host:1:abc', ttlMs: 60_000 } });
    const report = await engine.resume();
    expect(report.resumed.map((t) => [t.id, t.status])).toEqual([[orphan.id, 'succeeded']]);
    expect(report.unconfigured).toEqual([{ turnId: onFal.id, provider: 'fal' }]);
    expect(report.heldElsewhere).toEqual([held.id]);
    expect((await store.getTurn(onFal.id)).status).toBe('pending');
    await engine.close();
  });
});

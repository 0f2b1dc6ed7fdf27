import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { ValidationError } from '../../src/errors/index.js';
import { EndpointRegistry } from '../../src/kontext/endpoints.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';

const PRICED = new EndpointRegistry().withPrices({ 'local/kontext-sim': 80_000 });

function engineWith(store: SessionStore) {
  const gated = gatedProvider(createLocalProvider());
  return { gated, engine: new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [gated.provider], endpoints: PRICED }) };
}

describe('importing a bundle never spends the importer’s money', () => {
  it('50 turns still pending at export (4 images each, budget 0) arrive failed as NOT_FINISHED_AT_EXPORT: resume submits none', async () => {
    const dir = testTempDir('import-unfinished-');
    const source = SessionStore.inMemory();
    const { engine: exporter } = engineWith(source);
    const session = await exporter.startSession({ image: { bytes: await testImage() }, budgetMicros: 0 });
    const root = session.headTurnId!;
    const inputBlob = (await source.outputsOf(root))[0]!.blobHash;
    const pending = [];
    for (let i = 0; i < 50; i++) {
      pending.push(await source.appendTurn({ sessionId: session.id, parentId: root, kind: 'edit', endpointId: 'local/kontext-sim', provider: 'local', prompt: `edit ${i}`, params: { prompt: `edit ${i}`, seed: i, num_images: 4 }, inputBlob }, { moveHead: i === 49 }));
    }
    const file = join(dir, 'hand-edited.kontext.tgz');
    await exporter.exportSession(session.id, file);

    const target = SessionStore.inMemory();
    const { engine, gated } = engineWith(target);
    await engine.importBundle(file);
    const report = await engine.resume();
    expect(report.resumed).toEqual([]);
    expect(gated.submitted).toEqual([]);
    for (const turn of pending) {
      expect(await target.getTurn(turn.id)).toMatchObject({ status: 'failed', errorCode: 'NOT_FINISHED_AT_EXPORT', costMicros: 0 });
    }
    expect((await target.getTurn(pending[0]!.id)).errorMessage).toContain('was pending when its session was exported');
    // HEAD (on the last of them at export) is back on the root, attached to main.
    expect(await target.getSession(session.id)).toMatchObject({ headTurnId: root, headRef: 'main' });
  });
});

describe('branch names', () => {
  it.each(['HEAD', 'HEAD~2', 'HEAD^', 'head~1'])('%s is refused: it reads as HEAD', async (name) => {
    const { engine } = engineWith(SessionStore.inMemory());
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    await expect(engine.createBranch(session.id, name)).rejects.toBeInstanceOf(ValidationError);
  });

  it('a name that is the start of a turn id is refused, on create and on rename, and the prefix still names the turn', async () => {
    const { engine } = engineWith(SessionStore.inMemory());
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const turn = await engine.edit(session.id, 'make it red', { seed: 1 });
    const prefix = turn.id.slice(0, 5);
    const error = await engine.createBranch(session.id, prefix).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]).toMatchObject({ field: 'branch' });
    expect((error as ValidationError).issues[0]!.message).toContain(`turn '${turn.id}' starts with it`);
    await engine.createBranch(session.id, 'keep');
    await expect(engine.renameBranch(session.id, 'keep', turn.id)).rejects.toBeInstanceOf(ValidationError);
    expect((await engine.edit(session.id, 'make it blue', { seed: 2 }, { from: prefix })).parentId).toBe(turn.id);
  });

  it('a new turn never gets an id that starts with one of the session’s branch names', async () => {
    const ids = ['mainAAAAAAAA', 'mainBBBBBBBB', 'Zq93kLmN0pQr'];
    const issued: string[] = [];
    const store = SessionStore.inMemory({ newId: () => {
      const id = ids.shift() ?? `x${issued.length}`.padEnd(12, 'y');
      issued.push(id);
      return id;
    } });
    const { engine } = engineWith(store);
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    // The root took the first id before `main` existed; the next turn skips the one starting `main`.
    const turn = await engine.edit(session.id, 'make it red', { seed: 1 });
    expect(issued.slice(0, 3)).toEqual(['mainAAAAAAAA', 'mainBBBBBBBB', 'Zq93kLmN0pQr']);
    expect(turn.id).toBe('Zq93kLmN0pQr');
  });
});

describe('prompts', () => {
  it.each(['\u200b', '\u200b\u200d \u2060', '\ufeff\t'])('a prompt of only invisible characters (%j) is refused as empty', async (prompt) => {
    const { engine, gated } = engineWith(SessionStore.inMemory());
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    await expect(engine.edit(session.id, prompt)).rejects.toThrow(/no visible characters/);
    expect(gated.submitted).toEqual([]);
  });
});

describe('session defaults', () => {
  it('updateSession refuses params its endpoint does not take, as startSession does, and keeps the stored defaults', async () => {
    const { engine, gated } = engineWith(SessionStore.inMemory());
    const session = await engine.startSession({ image: { bytes: await testImage() }, params: { seed: 3 } });
    const error = await engine.updateSession(session.id, { params: { steps: 30 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]).toMatchObject({ field: 'steps' });
    expect((await engine.getSession(session.id)).defaultParams).toEqual({ seed: 3 });
    expect((await engine.edit(session.id, 'make it red')).status).toBe('succeeded');
    expect(gated.submitted).toEqual(['make it red']);
  });
});

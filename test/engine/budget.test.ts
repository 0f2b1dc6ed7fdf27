import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { BudgetExceededError } from '../../src/errors/index.js';
import { EndpointRegistry } from '../../src/kontext/endpoints.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { gatedProvider } from '../support/gatedProvider.js';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';

const PRICE = 40_000;
const endpoints = () => new EndpointRegistry().withPrices({ 'local/kontext-sim': PRICE });

describe('a budget is a cap under concurrency', () => {
  it('10 edits at once under a 2-image budget: exactly 2 run, 8 are refused with BUDGET_EXCEEDED', async () => {
    const gated = gatedProvider(createLocalProvider());
    const store = SessionStore.inMemory();
    const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [gated.provider], endpoints: endpoints() });
    const session = await engine.startSession({ image: { bytes: await testImage() }, budgetMicros: 2 * PRICE });
    gated.hold('slow');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => engine.edit(session.id, `edit ${i} [slow]`, { seed: i }, { from: session.headTurnId! }).finally(() => gated.release('slow'))));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(8);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExceededError);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.status === 'succeeded')).toHaveLength(2);
    expect(gated.submitted).toHaveLength(2);
    expect((await engine.cost(session.id)).totalMicros).toBe(2 * PRICE);
  });

  it('a failed turn releases its reservation: the budget it held can be spent again', async () => {
    const gated = gatedProvider(createLocalProvider());
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [gated.provider], endpoints: endpoints() });
    const session = await engine.startSession({ image: { bytes: await testImage() }, budgetMicros: PRICE });
    expect((await engine.edit(session.id, 'fail now', { seed: 1 })).status).toBe('failed');
    expect((await engine.cost(session.id)).totalMicros).toBe(0);
    expect((await engine.edit(session.id, 'make it red', { seed: 2 })).status).toBe('succeeded');
    await expect(engine.edit(session.id, 'make it blue', { seed: 3 })).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('resume() checks the budget before any submit: a pending turn over it fails as BUDGET_EXCEEDED, never sent', async () => {
    const gated = gatedProvider(createLocalProvider());
    const store = SessionStore.inMemory();
    const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [gated.provider], endpoints: endpoints() });
    const session = await engine.startSession({ image: { bytes: await testImage() }, budgetMicros: 0 });
    const root = session.headTurnId!;
    // Written without a reservation, as a hand-edited database or an older build would leave it.
    const pending = await store.appendTurn({ sessionId: session.id, parentId: root, kind: 'edit', endpointId: 'local/kontext-sim', provider: 'local', prompt: 'make it red', params: { prompt: 'make it red', seed: 1, num_images: 4 }, inputBlob: (await store.outputsOf(root))[0]!.blobHash });
    const { resumed } = await engine.resume();
    expect(resumed.map((t) => [t.id, t.status, t.errorCode])).toEqual([[pending.id, 'failed', 'BUDGET_EXCEEDED']]);
    expect(gated.submitted).toEqual([]);
    expect((await engine.cost(session.id)).totalMicros).toBe(0);
  });

  it('two processes racing on one database file spend no more than the budget', async () => {
    const dir = await testTempDir('budget-');
    const dbFile = join(dir, 'kontext.db');
    const store = SessionStore.open(dbFile);
    const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [createLocalProvider()], endpoints: endpoints() });
    const session = await engine.startSession({ image: { bytes: await testImage() }, budgetMicros: 2 * PRICE });
    await engine.close();
    store.close();
    const go = join(dir, 'go');
    const child = (): Promise<{ started: number; refused: number; other: string[] }> =>
      new Promise((resolve, reject) => {
        const script = fileURLToPath(new URL('../support/budgetChild.ts', import.meta.url));
        const proc = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ dbFile, sessionId: session.id, root: session.headTurnId, edits: 5, priceMicros: PRICE, go })], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        proc.stdout.on('data', (d: Buffer) => (out += d));
        proc.stderr.on('data', (d: Buffer) => (err += d));
        proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`child exited ${code}: ${err}`))));
      });
    const children = [child(), child()];
    // Both are up and polling before the race starts.
    await new Promise((r) => setTimeout(r, 1500));
    writeFileSync(go, '');
    const [a, b] = await Promise.all(children);
    expect([...a!.other, ...b!.other]).toEqual([]);
    expect(a!.started + b!.started).toBe(2);
    expect(a!.refused + b!.refused).toBe(8);
    const check = SessionStore.open(dbFile);
    const turns = (await check.listTurns(session.id)).filter((t) => t.kind === 'edit');
    expect(turns).toHaveLength(2);
    expect(turns.reduce((sum, t) => sum + t.costMicros, 0)).toBeLessThanOrEqual(2 * PRICE);
    check.close();
  }, 60_000);
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { BudgetExceededError } from '../../src/errors/index.js';
import { BFL_FLUX2_PRO } from '../../src/kontext/bflEndpoints.js';
import { EndpointRegistry, estimateCostMicros } from '../../src/kontext/endpoints.js';
import { FAL_FLUX2_PRO_EDIT } from '../../src/kontext/falEndpoints.js';
import { createBflProvider, type BflProvider } from '../../src/providers/bfl/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { startBflTestServer, type BflTestServer } from '../support/bflTestServer.js';
import { testImage } from '../support/images.js';

let bfl: BflTestServer;
let provider: BflProvider;
beforeEach(async () => {
  bfl = await startBflTestServer();
  provider = createBflProvider(bfl.clientOptions());
});
afterEach(async () => {
  await provider.close();
  await bfl.close();
});

const registry = new EndpointRegistry();

describe('FLUX.2 prices by megapixel', () => {
  it('BFL FLUX.2 [pro]: $0.03 the first megapixel, $0.015 each further one, over the output and every input image', () => {
    const pro = registry.get(BFL_FLUX2_PRO);
    // 1 MP out + 1 MP in.
    expect(estimateCostMicros(pro, { width: 1024, height: 1024 })).toBe(45_000);
    // 4 MP out + 1 in = 5 MP.
    expect(estimateCostMicros(pro, { width: 2048, height: 2048 })).toBe(90_000);
    // A started megapixel counts whole: 1024×1040 is 2 MP out.
    expect(estimateCostMicros(pro, { width: 1024, height: 1040 })).toBe(60_000);
    // Two references are two more input megapixels.
    expect(estimateCostMicros(pro, { width: 1024, height: 1024 }, 2)).toBe(75_000);
    expect(estimateCostMicros(registry.get(`${BFL_FLUX2_PRO}/text-to-image`), { width: 1024, height: 1024 })).toBe(30_000);
    // fal's FLUX.2 edit reads its size from image_size.
    expect(estimateCostMicros(registry.get(FAL_FLUX2_PRO_EDIT), { image_size: { width: 2048, height: 1024 } }, 1)).toBe(30_000 + 15_000 * 3);
  });

  it('a turn whose size costs more than the budget left is refused with BUDGET_EXCEEDED before anything is sent', async () => {
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [provider], defaultEndpoint: BFL_FLUX2_PRO });
    const session = await engine.startSession({ image: { bytes: await testImage() }, budgetMicros: 60_000 });

    const error = await engine.edit(session.id, 'make it a poster', { seed: 1, width: 2048, height: 2048 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(bfl.submissions).toHaveLength(0);
    expect(bfl.requests.filter((r) => r.target === 'submit')).toHaveLength(0);
    // Nothing was written or reserved.
    expect((await engine.tree(session.id)).turns).toHaveLength(1);
    expect((await engine.cost(session.id)).totalMicros).toBe(0);

    // The same edit at one megapixel fits the budget, and is charged its size's price.
    const small = await engine.edit(session.id, 'make it a poster', { seed: 1, width: 1024, height: 1024 });
    expect(small.status).toBe('succeeded');
    expect(small.costMicros).toBe(45_000);
    expect(bfl.submissions).toHaveLength(1);
  });
});

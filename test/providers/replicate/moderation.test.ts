import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../../src/engine/SessionEngine.js';
import { ModeratedError } from '../../../src/errors/index.js';
import { REPLICATE_KONTEXT_PRO } from '../../../src/kontext/replicateEndpoints.js';
import { createReplicateProvider } from '../../../src/providers/replicate/index.js';
import { moderationOf } from '../../../src/providers/replicate/moderation.js';
import { SessionStore } from '../../../src/store/SessionStore.js';
import { testImage } from '../../support/images.js';
import { startReplicateTestServer, type ReplicateTestServer } from '../../support/replicateTestServer.js';

let rep: ReplicateTestServer;
beforeEach(async () => {
  rep = await startReplicateTestServer();
});
afterEach(async () => {
  await rep.close();
});

describe('Replicate content refusals', () => {
  it.each([
    ['The input or output was flagged as sensitive. Please try again with different inputs. (E005)', 'unknown'],
    ['Prediction failed: the input image was flagged as NSFW', 'input'],
    ['The output was flagged as sensitive (E005)', 'output'],
  ] as const)('a prediction failed with %j ends the turn MODERATED (stage %s), with Replicate\'s words', async (words, stage) => {
    const provider = createReplicateProvider(rep.clientOptions());
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [provider], defaultEndpoint: REPLICATE_KONTEXT_PRO });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    rep.faults.push({ on: 'job', kind: 'outcome', fail: words });
    const turn = await engine.edit(session.id, 'something refused', { seed: 1 });
    expect(turn.status).toBe('failed');
    expect(turn.errorCode).toBe('MODERATED');
    expect(turn.errorMessage).toContain(words);
    expect(turn.errorDetail).toMatchObject({ stage, requestId: turn.requestId, detail: words });
    // HEAD stays on the last good turn, as for any failure, and the next edit runs.
    expect((await engine.getSession(session.id)).headTurnId).toBe(session.headTurnId);
    await provider.close();
  });

  it('other failures are not moderation', () => {
    expect(moderationOf('p1', 'CUDA error: out of memory')).toBeUndefined();
    expect(moderationOf('p1', null)).toBeUndefined();
    expect(moderationOf('p1', { detail: 'flagged as sensitive' })).toBeInstanceOf(ModeratedError);
  });
});

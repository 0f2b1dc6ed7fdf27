import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { BFL_FLUX2_PRO, BFL_KONTEXT_PRO } from '../../src/kontext/bflEndpoints.js';
import { FAL_FLUX2_PRO_EDIT, FAL_KONTEXT_MAX_MULTI } from '../../src/kontext/falEndpoints.js';
import { REPLICATE_FLUX2_PRO } from '../../src/kontext/replicateEndpoints.js';
import { createBflProvider } from '../../src/providers/bfl/index.js';
import { createFalProvider } from '../../src/providers/fal/index.js';
import type { Provider } from '../../src/providers/Provider.js';
import { createReplicateProvider } from '../../src/providers/replicate/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { startBflTestServer, type BflTestServer } from '../support/bflTestServer.js';
import { startFalTestServer, type FalTestServer } from '../support/falTestServer.js';
import { testImage } from '../support/images.js';
import { startReplicateTestServer, type ReplicateTestServer } from '../support/replicateTestServer.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let fal: FalTestServer;
let bfl: BflTestServer;
let rep: ReplicateTestServer;
let providers: Provider[];
beforeEach(async () => {
  [fal, bfl, rep] = await Promise.all([startFalTestServer({ queueMs: 0, inProgressMs: 5 }), startBflTestServer(), startReplicateTestServer()]);
  providers = [createFalProvider({ ...fal.clientOptions(), pollIntervalMs: 5 }), createBflProvider(bfl.clientOptions()), createReplicateProvider(rep.clientOptions())];
});
afterEach(async () => {
  for (const p of providers) await p.close?.();
  await Promise.all([fal.close(), bfl.close(), rep.close()]);
});

describe('one session whose turns alternate fal → BFL → Replicate', () => {
  it("chains every image: each provider's request log shows its parent's image first, then the turn's reference", async () => {
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers, defaultEndpoint: FAL_KONTEXT_MAX_MULTI });
    const session = await engine.startSession({ image: { bytes: await testImage(96, 64) } });
    const root = await engine.getTurn(session.headTurnId!);
    const reference = await sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 250, g: 220, b: 0 } } }).png().toBuffer();
    const references = [{ bytes: reference }];

    const plan = [FAL_KONTEXT_MAX_MULTI, BFL_KONTEXT_PRO, REPLICATE_FLUX2_PRO, FAL_FLUX2_PRO_EDIT, BFL_FLUX2_PRO, REPLICATE_FLUX2_PRO];
    const turns = [];
    for (const [i, endpoint] of plan.entries()) turns.push(await engine.edit(session.id, `step ${i + 1}`, { seed: i + 1 }, { endpoint, references }));
    expect(turns.map((t) => [t.provider, t.status])).toEqual([
      ['fal', 'succeeded'],
      ['bfl', 'succeeded'],
      ['replicate', 'succeeded'],
      ['fal', 'succeeded'],
      ['bfl', 'succeeded'],
      ['replicate', 'succeeded'],
    ]);

    // What each fake received, in the order the turns ran: the images it decoded or looked up, hashed.
    const received = [fal.submissions[0]!.imageHashes, bfl.submissions[0]!.imageHashes, rep.submissions[0]!.imageHashes, fal.submissions[1]!.imageHashes, bfl.submissions[1]!.imageHashes, rep.submissions[1]!.imageHashes];
    const parents = [root, ...turns.slice(0, -1)];
    for (const [i, hashes] of received.entries()) {
      expect(hashes, `turn ${i + 1} (${plan[i]})`).toEqual([parents[i]!.outputs[0]!.blobHash, sha256(reference)]);
      expect(turns[i]!.inputBlob).toBe(parents[i]!.outputs[0]!.blobHash);
      expect(turns[i]!.referenceBlobs).toEqual([sha256(reference)]);
    }
    // The shapes each provider takes them in.
    expect(fal.submissions[0]!.body).toMatchObject({ image_urls: [expect.any(String), expect.any(String)] });
    expect(Object.keys(bfl.submissions[0]!.body)).toEqual(expect.arrayContaining(['input_image', 'input_image_2']));
    expect(rep.submissions[0]!.body.input).toMatchObject({ input_images: [expect.any(String), expect.any(String)] });
    // Every output was archived from the fake that made it.
    for (const turn of turns) expect(await engine.blobs.has(turn.outputs[0]!.blobHash)).toBe(true);
    await engine.close();
  });
});

import { createHash } from 'node:crypto';
import { nanoid } from 'nanoid';
import sharp from 'sharp';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { LOCAL_KONTEXT_SIM } from '../../src/kontext/endpoints.js';
import type { BlobRow, OutputRow, RefRow, SessionRow, TurnRow } from '../../src/store/schema.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { testImage } from '../../test/support/images.js';

/**
 * Writes a session whose `main` branch is a chain of `depth` succeeded edit turns above its
 * root (each with one output), HEAD attached at the tip. It goes through the store's bulk
 * API (`insertSessionGraph`, what bundle import uses): one transaction, so that 10,000 turns
 * are set up in seconds — the benchmarks time reading them, not writing them.
 */
export async function buildDeepSession(dbFile: string, blobDir: string, depth: number): Promise<{ sessionId: string; tipId: string; rootId: string }> {
  const store = SessionStore.open(dbFile);
  try {
    const bytes = await testImage();
    const { hash, size } = await new FileBlobStore(blobDir).put(bytes);
    const { width = null, height = null } = await sharp(bytes).metadata();
    const blob: BlobRow = { hash, size, contentType: 'image/png', width, height, createdAt: new Date() };
    const sessionId = nanoid(12);
    const start = Date.now() - depth * 1000;
    const turns: TurnRow[] = [];
    const outputs: OutputRow[] = [];
    let parentId: string | null = null;
    for (let depthNow = 0; depthNow <= depth; depthNow++) {
      const id = `${createHash('sha256').update(`${sessionId}/${depthNow}`).digest('base64url').slice(0, 12)}`;
      const root = depthNow === 0;
      const prompt = root ? null : `step ${depthNow}: make it a little warmer`;
      const at = new Date(start + depthNow * 1000);
      turns.push({
        id,
        sessionId,
        parentId,
        depth: depthNow,
        kind: root ? 'source' : 'edit',
        endpointId: root ? null : LOCAL_KONTEXT_SIM,
        provider: root ? null : 'local',
        prompt,
        params: root ? {} : { prompt, seed: depthNow, guidance_scale: 3.5, num_images: 1, output_format: 'jpeg', safety_tolerance: '2', enhance_prompt: false, sync_mode: false },
        seedRequested: root ? null : depthNow,
        seedUsed: root ? null : depthNow,
        status: 'succeeded',
        requestId: root ? null : `req-${depthNow}`,
        providerHandle: null,
        errorCode: null,
        errorMessage: null,
        errorDetail: null,
        timings: root ? null : { inference: 0.1 },
        costMicros: 0,
        selectedOutput: 0,
        inputBlob: root ? null : hash,
        originTurnId: null,
        originKind: null,
        submitAttemptedAt: root ? null : at,
        leaseOwner: null,
        leaseExpiresAt: null,
        createdAt: at,
        startedAt: root ? null : at,
        finishedAt: at,
        sizes: null,
        qualityOptions: null,
        drift: null,
        pinnedAt: null,
        referenceBlobs: [],
      });
      outputs.push({ turnId: id, index: 0, providerUrl: null, blobHash: hash, width, height, contentType: 'image/png', nsfw: false });
      parentId = id;
    }
    const tipId = parentId!;
    const now = new Date();
    const session: SessionRow = {
      id: sessionId,
      title: `deep ${depth}`,
      owner: null,
      headTurnId: tipId,
      headRef: 'main',
      redoStack: [],
      quality: {},
      defaultEndpoint: LOCAL_KONTEXT_SIM,
      defaultParams: {},
      budgetMicros: null,
      createdAt: now,
      updatedAt: now,
    };
    const refs: RefRow[] = [{ sessionId, name: 'main', turnId: tipId, createdAt: now }];
    await store.insertSessionGraph({ session, turns, outputs, refs, blobs: [blob] });
    return { sessionId, tipId, rootId: turns[0]!.id };
  } finally {
    store.close();
  }
}

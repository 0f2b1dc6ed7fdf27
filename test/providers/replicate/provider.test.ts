import Replicate from 'replicate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../../src/engine/SessionEngine.js';
import { BFL_KONTEXT_PRO } from '../../../src/kontext/bflEndpoints.js';
import { LOCAL_KONTEXT_SIM } from '../../../src/kontext/endpoints.js';
import { REPLICATE_FLUX2_PRO, REPLICATE_KONTEXT_PRO } from '../../../src/kontext/replicateEndpoints.js';
import { createBflProvider } from '../../../src/providers/bfl/index.js';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import { createReplicateProvider } from '../../../src/providers/replicate/index.js';
import { SessionStore } from '../../../src/store/SessionStore.js';
import { parseDataUri } from '../../../src/util/dataUri.js';
import { startBflTestServer, type BflTestServer } from '../../support/bflTestServer.js';
import { RecordingClock } from '../../support/falTestClock.js';
import { testImage } from '../../support/images.js';
import { startReplicateTestServer, type ReplicateTestServer } from '../../support/replicateTestServer.js';

let rep: ReplicateTestServer;
beforeEach(async () => {
  rep = await startReplicateTestServer();
});
afterEach(async () => {
  await rep.close();
});

const IMAGE = 'https://example.invalid/a.png';

describe('the Replicate provider against its loopback fake', () => {
  it('submits with Prefer: wait and Cancel-After, follows urls.get, and the engine archives the output', async () => {
    const provider = createReplicateProvider(rep.clientOptions());
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [provider], defaultEndpoint: REPLICATE_KONTEXT_PRO });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const turn = await engine.edit(session.id, 'make it red', { seed: 5, safety_tolerance: '2' });
    expect(turn.status).toBe('succeeded');
    const [sent] = rep.submissions;
    expect(sent!.model).toBe('black-forest-labs/flux-kontext-pro');
    expect(sent!.headers).toEqual({ prefer: 'wait=5', cancelAfter: '600s' });
    expect(sent!.body.input).toMatchObject({ prompt: 'make it red', seed: 5, safety_tolerance: 2, output_format: 'jpeg' });
    expect(parseDataUri(sent!.body.input.input_image as string).bytes.equals(await testImage())).toBe(true);
    expect((await engine.blobs.get(turn.outputs[0]!.blobHash)).equals(rep.fileBytes(turn.outputs[0]!.providerUrl!)!)).toBe(true);
    expect(turn.requestId).toBe(sent!.id);
    expect(rep.requests.filter((r) => r.target === 'file').every((r) => r.auth === 'none')).toBe(true);
    await provider.close();
  });

  it('FLUX.2 takes its image as input_images; a held job is followed to its end from a stored handle', async () => {
    const first = createReplicateProvider(rep.clientOptions());
    rep.faults.push({ on: 'job', kind: 'outcome', hold: true });
    const job = await first.submit(REPLICATE_FLUX2_PRO, { prompt: 'poster', image_url: IMAGE, seed: 9 });
    await first.close();
    expect(rep.submissions[0]!.body.input.input_images).toEqual([IMAGE]);
    const second = createReplicateProvider(rep.clientOptions());
    const waiting = second.wait(REPLICATE_FLUX2_PRO, JSON.parse(JSON.stringify(job)) as typeof job);
    await new Promise((resolve) => setTimeout(resolve, 30));
    rep.release(job.requestId);
    const output = await waiting;
    expect(output.seed).toBe(9);
    expect(rep.submissions).toHaveLength(1);
    await second.close();
  });

  it('a failed prediction is PROVIDER with its error; a forgotten one EXPIRED; an abort cancels on Replicate', async () => {
    const provider = createReplicateProvider(rep.clientOptions());
    rep.faults.push({ on: 'job', kind: 'outcome', fail: 'CUDA error: out of memory' });
    const failing = await provider.submit(REPLICATE_KONTEXT_PRO, { prompt: 'x', image_url: IMAGE });
    await expect(provider.wait(REPLICATE_KONTEXT_PRO, failing)).rejects.toMatchObject({ code: 'PROVIDER', detail: 'CUDA error: out of memory' });
    rep.faults.push({ on: 'job', kind: 'outcome', hold: true });
    const forgotten = await provider.submit(REPLICATE_KONTEXT_PRO, { prompt: 'x', image_url: IMAGE });
    rep.forget(forgotten.requestId);
    await expect(provider.wait(REPLICATE_KONTEXT_PRO, forgotten)).rejects.toMatchObject({ code: 'EXPIRED' });
    rep.faults.push({ on: 'job', kind: 'outcome', hold: true });
    const held = await provider.submit(REPLICATE_KONTEXT_PRO, { prompt: 'x', image_url: IMAGE });
    const abort = new AbortController();
    const waiting = provider.wait(REPLICATE_KONTEXT_PRO, held, { signal: abort.signal });
    setTimeout(() => abort.abort(), 20);
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED', message: expect.stringContaining('cancelled on Replicate') });
    expect(rep.requests.filter((r) => r.target === 'cancel' && r.path.includes(held.requestId))).toHaveLength(1);
    await provider.close();
  });

  it('429 with Retry-After is waited out; a drop after acceptance is AMBIGUOUS_SUBMIT with one submission', async () => {
    const clock = new RecordingClock();
    const provider = createReplicateProvider({ ...rep.clientOptions(), clock });
    rep.faults.push({ on: 'submit', kind: 'status', status: 429, retryAfter: '2' });
    await provider.submit(REPLICATE_KONTEXT_PRO, { prompt: 'x', image_url: IMAGE });
    expect(clock.sleeps[0]).toBe(2000);
    expect(rep.submissions).toHaveLength(1);
    rep.faults.push({ on: 'submit', kind: 'drop-after-accept' });
    await expect(provider.submit(REPLICATE_KONTEXT_PRO, { prompt: 'y', image_url: IMAGE })).rejects.toMatchObject({ code: 'AMBIGUOUS_SUBMIT' });
    expect(rep.submissions).toHaveLength(2);
    expect(rep.requests.filter((r) => r.target === 'submit')).toHaveLength(3);
    await provider.close();
  });
});

describe('contract: the official replicate client against our fake', () => {
  it('replicate.run gets the output our provider gets, and predictions.cancel cancels', async () => {
    const client = new Replicate({ auth: rep.key, baseUrl: rep.url, useFileOutput: false });
    const output = await client.run('black-forest-labs/flux-kontext-pro', { input: { prompt: 'make it red', input_image: IMAGE, seed: 1 } });
    expect(typeof output).toBe('string');
    expect(rep.fileBytes(output as unknown as string)).toBeDefined();
    // The client's request is one our fake records like ours: same path, Prefer: wait.
    expect(rep.submissions[0]!.model).toBe('black-forest-labs/flux-kontext-pro');
    expect(rep.submissions[0]!.headers.prefer).toMatch(/^wait/);
    rep.faults.push({ on: 'job', kind: 'outcome', hold: true });
    const prediction = await client.predictions.create({ model: 'black-forest-labs/flux-kontext-pro', input: { prompt: 'x' } });
    const ours = createReplicateProvider(rep.clientOptions());
    const canceled = await client.predictions.cancel(prediction.id);
    expect(canceled.status).toBe('canceled');
    // Our provider reads the client's prediction from the same URLs and sees it cancelled.
    await expect(ours.wait(REPLICATE_KONTEXT_PRO, { requestId: prediction.id, handle: { getUrl: prediction.urls.get, cancelUrl: prediction.urls.cancel } })).rejects.toMatchObject({ code: 'CANCELLED' });
    await ours.close();
  });
});

describe('one session across providers', () => {
  let bfl: BflTestServer;
  beforeEach(async () => {
    bfl = await startBflTestServer();
  });
  afterEach(async () => {
    await bfl.close();
  });

  it('local → BFL → Replicate → BFL: each submission carries its parent turn’s archived image', async () => {
    const providers = [createLocalProvider(), createBflProvider(bfl.clientOptions()), createReplicateProvider(rep.clientOptions())];
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers, defaultEndpoint: LOCAL_KONTEXT_SIM });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const t1 = await engine.edit(session.id, 'make it red', { seed: 1 });
    const t2 = await engine.edit(session.id, 'make it night', { seed: 2 }, { endpoint: BFL_KONTEXT_PRO });
    const t3 = await engine.edit(session.id, 'add snow', { seed: 3 }, { endpoint: REPLICATE_KONTEXT_PRO });
    const t4 = await engine.edit(session.id, 'sketch', { seed: 4 }, { endpoint: BFL_KONTEXT_PRO });
    expect([t1, t2, t3, t4].map((t) => [t.provider, t.status])).toEqual([
      ['local', 'succeeded'],
      ['bfl', 'succeeded'],
      ['replicate', 'succeeded'],
      ['bfl', 'succeeded'],
    ]);
    const archived = (t: typeof t1) => engine.blobs.get(t.outputs[0]!.blobHash);
    expect(Buffer.from(bfl.submissions[0]!.body.input_image as string, 'base64').equals(await archived(t1))).toBe(true);
    expect(parseDataUri(rep.submissions[0]!.body.input.input_image as string).bytes.equals(await archived(t2))).toBe(true);
    expect(Buffer.from(bfl.submissions[1]!.body.input_image as string, 'base64').equals(await archived(t3))).toBe(true);
    expect((await archived(t3)).equals(rep.fileBytes(t3.outputs[0]!.providerUrl!)!)).toBe(true);
    expect(t4.parentId).toBe(t3.id);
    for (const p of providers) await p.close?.();
  });
});

describe('openEngine with REPLICATE_API_TOKEN', () => {
  it('configures replicate beside local, and a turn on a replicate endpoint runs on the fake', async () => {
    const { openEngine } = await import('../../../src/engine/openEngine.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const dataDir = mkdtempSync((await import('node:os')).tmpdir() + '/kontext-rep-open-');
    const opened = openEngine({ dbFile: ':memory:', dataDir, env: { REPLICATE_API_TOKEN: rep.key, REPLICATE_API_URL: rep.url }, replicate: { pollIntervalMs: 5 } });
    try {
      expect(opened.provider).toBe('local');
      expect(opened.engine.providerNames).toEqual(['local', 'replicate']);
      const session = await opened.engine.startSession({ image: { bytes: await testImage() } });
      const turn = await opened.engine.edit(session.id, 'make it red', { seed: 3 }, { endpoint: REPLICATE_KONTEXT_PRO });
      expect(turn).toMatchObject({ status: 'succeeded', provider: 'replicate' });
    } finally {
      await opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

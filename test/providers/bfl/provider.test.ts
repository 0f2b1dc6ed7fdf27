import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../../src/engine/SessionEngine.js';
import { BFL_FLUX2_FLEX, BFL_FLUX2_PRO, BFL_KONTEXT_MAX, BFL_KONTEXT_PRO } from '../../../src/kontext/bflEndpoints.js';
import { EndpointRegistry, estimateCostMicros } from '../../../src/kontext/endpoints.js';
import { createBflProvider, type BflClientOptions } from '../../../src/providers/bfl/index.js';
import { SessionStore } from '../../../src/store/SessionStore.js';
import { startBflTestServer, type BflTestServer } from '../../support/bflTestServer.js';
import { RecordingClock } from '../../support/falTestClock.js';
import { testImage } from '../../support/images.js';

let bfl: BflTestServer;
beforeEach(async () => {
  bfl = await startBflTestServer();
});
afterEach(async () => {
  await bfl.close();
});

function engineOn(extra: BflClientOptions = {}) {
  const provider = createBflProvider({ ...bfl.clientOptions(), ...extra });
  const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [provider], defaultEndpoint: BFL_KONTEXT_PRO });
  return { engine, provider };
}

describe('the BFL provider against its loopback fake', () => {
  it('submits with x-key, polls the regional polling_url as given, and archives the result at once', async () => {
    const { engine, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const first = await engine.edit(session.id, 'make it red', { seed: 7, safety_tolerance: '3', enhance_prompt: true });
    const second = await engine.edit(session.id, 'make it night', { seed: 8 });
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    const [a, b] = bfl.submissions;
    expect(a!.model).toBe('flux-kontext-pro');
    expect(a!.body).toMatchObject({ prompt: 'make it red', seed: 7, safety_tolerance: 3, prompt_upsampling: true, output_format: 'jpeg' });
    expect(a!.body).not.toHaveProperty('image_url');
    expect(a!.body).not.toHaveProperty('num_images');
    // Chaining: the second submit's input_image is the first turn's archived output.
    expect(Buffer.from(b!.body.input_image as string, 'base64').equals(await engine.blobs.get(first.outputs[0]!.blobHash))).toBe(true);
    expect(first.outputs[0]!.providerUrl!.startsWith(bfl.regionUrl)).toBe(true);
    expect((await engine.blobs.get(first.outputs[0]!.blobHash)).equals(bfl.fileBytes(first.outputs[0]!.providerUrl!)!)).toBe(true);
    // Polls went to the regional host with the key; files were fetched without it.
    const polls = bfl.requests.filter((r) => r.target === 'poll');
    expect(polls.length).toBeGreaterThanOrEqual(4);
    expect(polls.every((r) => r.origin === 'region' && r.auth === 'valid')).toBe(true);
    expect(bfl.requests.filter((r) => r.target === 'file').every((r) => r.auth === 'none')).toBe(true);
    expect(first.requestId).toBe(a!.id);
    expect(first.costMicros).toBe(40_000);
    expect(first.seedUsed).toBe(7);
    await provider.close();
  });

  it.each([
    ['request-moderated', 'input'],
    ['content-moderated', 'output'],
  ] as const)('a %s job ends the turn MODERATED with the stage, and the session stays usable', async (outcome, stage) => {
    const { engine, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    bfl.faults.push({ on: 'job', kind: 'outcome', outcome });
    const turn = await engine.edit(session.id, 'something refused', { seed: 1 });
    expect(turn.status).toBe('failed');
    expect(turn.errorCode).toBe('MODERATED');
    expect(turn.errorDetail).toMatchObject({ stage, requestId: bfl.submissions[0]!.id, detail: { reason: `injected ${outcome}` } });
    expect((await engine.edit(session.id, 'make it red', { seed: 2 })).status).toBe('succeeded');
    await provider.close();
  });

  it('a job BFL no longer knows (Task not found) ends EXPIRED, an Error ends PROVIDER', async () => {
    const { engine, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    bfl.faults.push({ on: 'job', kind: 'outcome', outcome: 'not-found' });
    const expired = await engine.edit(session.id, 'make it red', { seed: 1 });
    expect(expired.errorCode).toBe('EXPIRED');
    bfl.faults.push({ on: 'job', kind: 'outcome', outcome: 'error' });
    const failed = await engine.edit(session.id, 'make it red', { seed: 2 });
    expect(failed.errorCode).toBe('PROVIDER');
    await provider.close();
  });

  it('a 429 with Retry-After is waited out as told and the job submitted once', async () => {
    const clock = new RecordingClock();
    const provider = createBflProvider({ ...bfl.clientOptions(), clock, random: () => 0.5 });
    bfl.faults.push({ on: 'submit', kind: 'status', status: 429, retryAfter: '3', times: 2 });
    const job = await provider.submit(BFL_KONTEXT_PRO, { prompt: 'make it red', image_url: 'https://example.invalid/a.png', seed: 1 });
    expect(bfl.requests.filter((r) => r.target === 'submit')).toHaveLength(3);
    expect(bfl.submissions).toHaveLength(1);
    expect(clock.sleeps.slice(0, 2)).toEqual([3000, 3000]);
    expect((await provider.wait(BFL_KONTEXT_PRO, job)).images).toHaveLength(1);
    await provider.close();
  });

  it('a connection dropped after BFL accepted is AMBIGUOUS_SUBMIT, never a second submit', async () => {
    const { engine, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    bfl.faults.push({ on: 'submit', kind: 'drop-after-accept' });
    const turn = await engine.edit(session.id, 'make it red', { seed: 1 });
    expect(turn.errorCode).toBe('AMBIGUOUS_SUBMIT');
    expect(bfl.submissions).toHaveLength(1);
    expect(bfl.requests.filter((r) => r.target === 'submit')).toHaveLength(1);
    // It may have been billed: the reserved cost stays on the turn.
    expect(turn.costMicros).toBe(40_000);
    await provider.close();
  });

  it('another process resumes a job from its stored handle alone', async () => {
    const first = createBflProvider(bfl.clientOptions());
    bfl.faults.push({ on: 'job', kind: 'outcome', hold: true });
    const job = await first.submit(BFL_KONTEXT_PRO, { prompt: 'make it red', image_url: 'https://example.invalid/a.png' });
    await first.close();
    const stored = JSON.parse(JSON.stringify({ requestId: job.requestId, handle: job.handle })) as typeof job;
    expect(JSON.stringify(stored)).not.toContain(bfl.key);
    const second = createBflProvider(bfl.clientOptions());
    const waiting = second.wait(BFL_KONTEXT_PRO, stored);
    await new Promise((resolve) => setTimeout(resolve, 30));
    bfl.release(job.requestId);
    const output = await waiting;
    expect(output.images[0]!.url.startsWith(bfl.regionUrl)).toBe(true);
    // The seed the provider picked (none was asked for) is sent and reported back.
    expect(output.seed).toBe(bfl.submissions[0]!.body.seed);
    expect(bfl.submissions).toHaveLength(1);
    await second.close();
  });

  it('keeps Kontext [max] to 6 jobs in flight: the 7th and 8th wait for a slot instead of a 429', async () => {
    const provider = createBflProvider(bfl.clientOptions());
    bfl.faults.push({ on: 'job', kind: 'outcome', hold: true, times: 8 });
    const runs = Array.from({ length: 8 }, async (_, i) => {
      const job = await provider.submit(BFL_KONTEXT_MAX, { prompt: `edit ${i}`, image_url: 'https://example.invalid/a.png' });
      const output = await provider.wait(BFL_KONTEXT_MAX, job);
      return output;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bfl.submissions).toHaveLength(6);
    expect(provider.inFlight('flux-kontext-max')).toBe(6);
    // Release as they arrive until all eight have been submitted and finished.
    const releasing = setInterval(() => bfl.submissions.forEach((s) => bfl.release(s.id)), 10);
    const outputs = await Promise.all(runs);
    clearInterval(releasing);
    expect(outputs).toHaveLength(8);
    expect(bfl.submissions).toHaveLength(8);
    expect(bfl.peakActive('flux-kontext-max')).toBe(6);
    expect(bfl.requests.filter((r) => r.target === 'submit')).toHaveLength(8);
    expect(provider.inFlight()).toBe(0);
    await provider.close();
  });

  it('never sends the key to a polling URL on a host it does not trust', async () => {
    const provider = createBflProvider({ ...bfl.clientOptions(), pollOrigins: [] });
    const job = await provider.submit(BFL_KONTEXT_PRO, { prompt: 'make it red', image_url: 'https://example.invalid/a.png' });
    await expect(provider.wait(BFL_KONTEXT_PRO, job)).rejects.toMatchObject({ code: 'PROVIDER', message: expect.stringContaining('not a trusted BFL host') });
    expect(bfl.requests.filter((r) => r.origin === 'region')).toHaveLength(0);
    await provider.close();
  });

  it('a refused key is AUTH naming BFL_API_KEY, and a body echoing the key is redacted', async () => {
    const provider = createBflProvider({ ...bfl.clientOptions(), key: 'wrong-key-123456' });
    const refused = provider.submit(BFL_KONTEXT_PRO, { prompt: 'x', image_url: 'https://example.invalid/a.png' });
    await expect(refused).rejects.toMatchObject({ code: 'AUTH', message: expect.stringContaining('BFL_API_KEY') });
    await provider.close();
    const echo = createBflProvider(bfl.clientOptions());
    bfl.faults.push({ on: 'submit', kind: 'status', status: 400, body: { detail: `bad key ${bfl.key}` } });
    const error = await echo.submit(BFL_KONTEXT_PRO, { prompt: 'x', image_url: 'https://example.invalid/a.png' }).catch((e: unknown) => e as Error);
    expect(JSON.stringify(error) + (error as Error).message).not.toContain(bfl.key);
    expect((error as Error).message).toContain('[redacted]');
    await echo.close();
  });

  it('FLUX.2 [flex] sends steps and guidance; FLUX.2 prices by megapixel; fields a model lacks are refused', async () => {
    const provider = createBflProvider(bfl.clientOptions());
    const job = await provider.submit(BFL_FLUX2_FLEX, { prompt: 'poster', image_url: 'data:image/png;base64,' + (await testImage()).toString('base64'), steps: 28, guidance_scale: 5, width: 1024, height: 768 });
    expect(bfl.submissions[0]!.model).toBe('flux-2-flex');
    expect(bfl.submissions[0]!.body).toMatchObject({ steps: 28, guidance: 5, width: 1024, height: 768 });
    await provider.wait(BFL_FLUX2_FLEX, job);
    const registry = new EndpointRegistry();
    // An edit counts its input as a megapixel: 2048×1024 out (2 MP) + 1 in = first + 2 × extra.
    expect(estimateCostMicros(registry.get(BFL_FLUX2_PRO), { width: 2048, height: 1024 })).toBe(30_000 + 2 * 15_000);
    expect(estimateCostMicros(registry.get(`${BFL_FLUX2_PRO}/text-to-image`), {})).toBe(30_000);
    await expect(provider.submit(BFL_KONTEXT_PRO, { prompt: 'x', image_url: 'https://example.invalid/a.png', steps: 10 })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(bfl.submissions).toHaveLength(1);
    await provider.close();
  });
});

describe('openEngine with BFL_API_KEY', () => {
  it('configures bfl beside local, defaults new sessions to it, and runs a turn on the fake', async () => {
    const { openEngine } = await import('../../../src/engine/openEngine.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'kontext-bfl-open-'));
    const env = { BFL_API_KEY: bfl.key, BFL_API_URL: bfl.url };
    const opened = openEngine({ dataDir, env, bfl: { pollOrigins: [bfl.regionUrl], pollIntervalMs: 5 } });
    try {
      expect(opened.provider).toBe('bfl');
      expect(opened.notice).toContain('BFL_API_KEY is set');
      expect(opened.engine.providerNames).toEqual(['bfl', 'local']);
      const session = await opened.engine.startSession({ image: { bytes: await testImage() } });
      const turn = await opened.engine.edit(session.id, 'make it red', { seed: 3 });
      expect(turn).toMatchObject({ status: 'succeeded', provider: 'bfl', endpointId: BFL_KONTEXT_PRO });
      expect(bfl.submissions).toHaveLength(1);
    } finally {
      await opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(() => openEngine({ dbFile: ':memory:', dataDir: '/nonexistent-kontext', env: {}, provider: 'bfl' })).toThrow(/BFL_API_KEY/);
  });
});

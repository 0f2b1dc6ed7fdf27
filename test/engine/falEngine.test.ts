import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { FAL_KONTEXT_PRO } from '../../src/kontext/endpoints.js';
import { createFalProvider } from '../../src/providers/fal/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { startFalTestServer, type FalTestServer } from '../support/falTestServer.js';
import { testImage } from '../support/images.js';

let fal: FalTestServer;
let dir: string;
beforeEach(async () => {
  fal = await startFalTestServer();
  dir = mkdtempSync(join(tmpdir(), 'kontext-fal-engine-'));
});
afterEach(async () => {
  await fal.close();
  rmSync(dir, { recursive: true, force: true });
});

function engineOn(store = SessionStore.inMemory(), blobs: FileBlobStore | MemoryBlobStore = new MemoryBlobStore()) {
  const provider = createFalProvider({ ...fal.clientOptions(), inlineMaxBytes: 0 });
  const engine = new SessionEngine({ store, blobs, providers: [provider], defaultEndpoint: FAL_KONTEXT_PRO });
  return { engine, store, blobs, provider };
}

describe('the engine on the fal queue', () => {
  it("chains: turn n+1's image_url in the server's log is turn n's picked output", async () => {
    const { engine, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const turns = [];
    for (const [i, prompt] of ['make it red', 'make it night', 'add snow'].entries()) {
      turns.push(await engine.edit(session.id, prompt, { seed: 10 + i, num_images: i === 1 ? 2 : 1 }));
      if (i === 1) await engine.pick(turns[1]!.id, 1);
    }
    const bodies = fal.submissions.map((s) => s.body as Record<string, unknown>);
    expect(bodies).toHaveLength(3);
    expect(bodies[1]!.image_url).toBe(turns[0]!.outputs[0]!.providerUrl);
    expect(bodies[2]!.image_url).toBe(turns[1]!.outputs[1]!.providerUrl);
    expect(bodies.map((b) => b.seed)).toEqual([10, 11, 12]);
    // Every output is archived: the history does not depend on fal's URLs.
    for (const t of turns) for (const o of t.outputs) expect((await engine.blobs.get(o.blobHash)).equals(fal.fileBytes(o.providerUrl!)!)).toBe(true);
    expect(turns.map((t) => t.costMicros)).toEqual([40_000, 80_000, 40_000]);
    expect(turns[0]!.requestId).toBe(fal.submissions[0]!.requestId);
    await provider.close();
  });

  it('sends the archived bytes when the parent URL has expired', async () => {
    const { engine, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const first = await engine.edit(session.id, 'make it red', { seed: 1 });
    fal.expire(first.outputs[0]!.providerUrl!);
    await engine.edit(session.id, 'make it night', { seed: 2 });
    const sent = (fal.submissions[1]!.body as Record<string, unknown>).image_url as string;
    expect(sent).not.toBe(first.outputs[0]!.providerUrl);
    // Uploaded to fal storage (inline threshold 0): the uploaded bytes are turn 1's archived bytes.
    expect(fal.fileBytes(sent)!.equals(await engine.blobs.get(first.outputs[0]!.blobHash))).toBe(true);
    await provider.close();
  });

  it('records a provider 422 on the turn, with its detail, and the session stays usable', async () => {
    const { engine, store, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const root = (await engine.head(session.id))!;
    fal.faults.push({ on: 'submit', kind: 'status', status: 422, body: { detail: [{ loc: ['body', 'prompt'], msg: 'prompt rejected by policy', type: 'value_error' }] } });
    const failed = await engine.edit(session.id, 'something the server refuses', { seed: 1 });
    expect(failed.status).toBe('failed');
    expect(failed.errorCode).toBe('PROVIDER');
    expect(JSON.stringify(failed.errorDetail)).toContain('prompt rejected by policy');
    expect((await store.getSession(session.id)).headTurnId).toBe(root.id);
    const ok = await engine.edit(session.id, 'make it red', { seed: 2 });
    expect(ok.status).toBe('succeeded');
    expect(ok.parentId).toBe(root.id);
    await provider.close();
  });

  it('a job that fails on the provider ends the turn failed with the reason', async () => {
    const { engine, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    fal.faults.push({ on: 'job', kind: 'fail', status: 500, detail: 'GPU fell over' });
    const failed = await engine.edit(session.id, 'make it red', { seed: 1 });
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toContain('GPU fell over');
    expect(failed.requestId).toBe(fal.submissions[0]!.requestId);
    await provider.close();
  });

  it('cancel reaches the provider', async () => {
    fal.faults.push({ on: 'job', kind: 'timing', inProgressMs: 5_000 });
    const { engine, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const turn = await engine.beginEdit(session.id, 'make it red', { seed: 1 });
    const running = engine.finish(turn);
    // Until the submit's answer is stored the job may exist unknown to us, and a cancel then ends
    // the turn as an ambiguous submit (never paid twice): wait for the request id, as a user would see it.
    while ((await engine.getTurn(turn.id)).requestId === null) await new Promise((r) => setTimeout(r, 10));
    const cancelled = await engine.cancel(turn.id);
    expect(cancelled.status).toBe('cancelled');
    expect(fal.job(fal.submissions[0]!.requestId)!.cancelled).toBe(true);
    expect((await running).status).toBe('cancelled');
    await provider.close();
  });

  it('a process killed after the submit was accepted loses nothing: reopening completes the turn with exactly one submission', async () => {
    fal.faults.push({ on: 'job', kind: 'timing', inProgressMs: 1_500 });
    const dbFile = join(dir, 'k.db');
    const blobDir = join(dir, 'blobs');
    const image = join(dir, 'in.png');
    writeFileSync(image, await testImage());
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../support/engineChild.ts', import.meta.url)), JSON.stringify({ dbFile, blobDir, fal: fal.clientOptions(), image, prompt: 'make it night' })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const turnId = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /SUBMITTED (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(fal.submissions).toHaveLength(1);

    const store = SessionStore.open(dbFile);
    expect(store.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = await store.getTurn(turnId);
    expect(['submitted', 'running']).toContain(stored.status);
    expect(stored.requestId).toBe(fal.submissions[0]!.requestId);
    const { engine, provider } = engineOn(store, new FileBlobStore(blobDir));
    const { resumed } = await engine.resume();
    expect(resumed.map((t) => [t.id, t.status])).toEqual([[turnId, 'succeeded']]);
    expect(fal.submissions).toHaveLength(1);
    expect(resumed[0]!.outputs).toHaveLength(1);
    await provider.close();
    store.close();
  });

  it('a turn whose submit went out without an answer is failed as ambiguous on resume, never resubmitted', async () => {
    const { engine, store, provider } = engineOn();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    fal.faults.push({ on: 'submit', kind: 'drop-after-accept' });
    const turn = await engine.edit(session.id, 'make it red', { seed: 1 });
    expect(turn.status).toBe('failed');
    expect(turn.errorCode).toBe('AMBIGUOUS_SUBMIT');
    expect(fal.submissions).toHaveLength(1);
    // The same state reached by a crash between "submit sent" and "answer stored":
    const pending = await store.appendTurn({ sessionId: session.id, parentId: turn.parentId, kind: 'edit', endpointId: FAL_KONTEXT_PRO, provider: 'fal', prompt: 'x', params: { prompt: 'x' } });
    await store.patchTurn(pending.id, { submitAttemptedAt: new Date() });
    const { resumed } = await engine.resume();
    expect(resumed.map((t) => [t.id, t.status, t.errorCode])).toEqual([[pending.id, 'failed', 'AMBIGUOUS_SUBMIT']]);
    expect(fal.submissions).toHaveLength(1);
    await provider.close();
  });
});

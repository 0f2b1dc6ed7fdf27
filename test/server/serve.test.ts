import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { LOCAL_KONTEXT_SIM } from '../../src/kontext/endpoints.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { serve } from '../../src/server/index.js';
import { HeadJson, TurnJson } from '../../src/server/schemas.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { ALICE, bearer, makeEngine, noLookup, TOKENS, testImage } from './support.js';

const quiet = { env: {}, log: () => undefined, ssrf: { lookup: noLookup } };

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('serve', () => {
  it('listens on 127.0.0.1, answers over HTTP, and after close refuses connections but leaves the given engine open', async () => {
    const engine = makeEngine();
    let engineClosed = 0;
    const close = engine.close.bind(engine);
    engine.close = async () => (engineClosed++, close());
    const running = await serve({ ...quiet, engine, port: 0, resume: false });
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    expect(running.port).toBeGreaterThan(0);
    expect(running.engine).toBe(engine);
    expect(await (await fetch(`${running.url}/health`)).json()).toMatchObject({ ok: true, auth: false, providers: ['local'] });
    const page = await fetch(`${running.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    await page.arrayBuffer();

    await Promise.all([running.close(), running.close()]);
    await expect(fetch(`${running.url}/health`)).rejects.toThrow();
    // The engine was lent: it is still the caller's, and still works.
    expect(engineClosed).toBe(0);
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const turn = await engine.edit(session.id, 'make it red');
    expect(turn.status).toBe('succeeded');
    expect(turn.outputs).toHaveLength(1);
  });

  it('opens its own engine from `open` and closes it, database included, on close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kontext-serve-open-'));
    try {
      const running = await serve({ ...quiet, open: { dataDir: dir, env: {} }, port: 0, resume: false });
      const created = HeadJson.parse(await (await fetch(`${running.url}/sessions`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() })).json());
      expect(created.session.id).toBeTruthy();
      expect((await running.engine.listSessions()).map((s) => s.id)).toEqual([created.session.id]);

      await running.close();
      await expect((async () => running.engine.listSessions())()).rejects.toThrow(/not open/);
      // What it wrote is in the files under dataDir, for the next process.
      const store = SessionStore.open(join(dir, 'kontext.db'));
      expect((await store.listSessions()).map((s) => s.id)).toEqual([created.session.id]);
      store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('wants exactly one of `engine` and `open`', async () => {
    const neither = {} as Parameters<typeof serve>[0];
    await expect(serve({ ...quiet, ...neither, port: 0 })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('exactly one of `engine`') });
    const both = { engine: makeEngine(), open: { dbFile: ':memory:' } } as unknown as Parameters<typeof serve>[0];
    await expect(serve({ ...quiet, ...both, port: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('refuses a non-loopback host without tokens, with a message saying what to do', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.com']) {
      await expect(serve({ ...quiet, engine: makeEngine(), host, port: 0 })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining(`refusing to listen on ${host} without tokens`),
      });
    }
    await expect(serve({ ...quiet, engine: makeEngine(), host: '0.0.0.0', port: 0 })).rejects.toThrow(/KONTEXT_TOKENS/);
  });

  it('with tokens, requires them over the wire', async () => {
    const running = await serve({ ...quiet, engine: makeEngine(), port: 0, tokens: TOKENS, resume: false });
    try {
      expect((await fetch(`${running.url}/sessions`)).status).toBe(401);
      expect((await fetch(`${running.url}/sessions`, { headers: bearer(ALICE) })).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it('says clearly when the port is taken', async () => {
    const first = await serve({ ...quiet, engine: makeEngine(), port: 0, resume: false });
    try {
      await expect(serve({ ...quiet, engine: makeEngine(), port: first.port, resume: false })).rejects.toThrow(`127.0.0.1:${first.port} is already in use`);
    } finally {
      await first.close();
    }
  });

  it('shutdown ends event streams and leaves a running turn resumable; the next server finishes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kontext-serve-'));
    const logs: string[] = [];
    const slow = createLocalProvider({ delayMs: 120_000 });
    const store = SessionStore.open(join(dir, 'kontext.db'));
    const engine = new SessionEngine({ store, blobs: new FileBlobStore(join(dir, 'blobs')), providers: [slow] });
    const running = await serve({ ...quiet, log: (line) => logs.push(line), engine, port: 0, resume: false, shutdownGraceMs: 100 });
    let turnId = '';
    try {
      const created = HeadJson.parse(await (await fetch(`${running.url}/sessions`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() })).json());
      const sessionId = created.session.id;
      const events = await fetch(`${running.url}/sessions/${sessionId}/events`);
      const accepted = await fetch(`${running.url}/sessions/${sessionId}/turns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'make it red', params: { seed: 4 } }) });
      expect(accepted.status).toBe(202);
      turnId = TurnJson.parse(await accepted.json()).id;
      await until(async () => {
        const turn = TurnJson.parse(await (await fetch(`${running.url}/sessions/${sessionId}/turns/${turnId}`)).json());
        return turn.status === 'running' ? turn : undefined;
      });

      await running.close();
      await engine.close();
      store.close();
      // The open event stream was ended by the server, not left hanging.
      expect(events.body).not.toBeNull();
      await events.text();
      expect(logs.some((l) => l.includes('left in flight'))).toBe(true);

      // A new process over the same files: the turn is as the first one left it, then resumed.
      const store2 = SessionStore.open(join(dir, 'kontext.db'));
      const left = await store2.getTurn(turnId);
      expect(left.status).toBe('running');
      expect(left.requestId).not.toBeNull();
      expect(await store2.outputsOf(turnId)).toEqual([]);
      const engine2 = new SessionEngine({ store: store2, blobs: new FileBlobStore(join(dir, 'blobs')), providers: [createLocalProvider()] });
      const next = await serve({ ...quiet, engine: engine2, port: 0 });
      try {
        const done = await until(async () => {
          const turn = TurnJson.parse(await (await fetch(`${next.url}/sessions/${sessionId}/turns/${turnId}`)).json());
          return turn.status === 'succeeded' ? turn : undefined;
        });
        expect(done.outputs).toHaveLength(1);
        expect(done.seedUsed).toBe(4);
        expect(done.requestId).toBe(left.requestId);
      } finally {
        await next.close();
        await engine2.close();
        store2.close();
      }
    } finally {
      // Stop the first provider's simulated job, so nothing of it outlives the test.
      if (turnId) {
        const store3 = SessionStore.open(join(dir, 'kontext.db'));
        const left = await store3.getTurn(turnId);
        store3.close();
        if (left.requestId) await slow.cancel(LOCAL_KONTEXT_SIM, { requestId: left.requestId, handle: left.providerHandle ?? {} });
      }
      await rm(dir, { recursive: true, force: true });
    }
  });
});

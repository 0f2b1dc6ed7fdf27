import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBlobStore } from '../../../../src/blobs/FileBlobStore.js';
import type { Turn } from '../../../../src/model/index.js';
import { SessionEngine } from '../../../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../../../src/providers/local/index.js';
import { createServer, type CreateServerOptions, type KontextServer } from '../../../../src/server/index.js';
import type { ConnectTarget } from '../../../../src/net/ssrf/index.js';
import type { SessionRow } from '../../../../src/store/schema.js';
import { SessionStore } from '../../../../src/store/SessionStore.js';
import { ALICE, BOB, loopbackOnly, noLookup, TOKENS } from '../../../server/support.js';
import { testImage } from '../../../support/images.js';

export { ALICE, BOB };

/** Limits small enough that "too large" is cheap to send. */
export const HTTP_LIMITS = { maxImageBytes: 256 * 1024, maxJsonBytes: 64 * 1024, maxBundleBytes: 512 * 1024 };

/**
 * The HTTP server over a file-backed engine, with two owners (alice, bob), no DNS (every
 * lookup fails) and a connect hook that refuses — and records — any address outside
 * loopback. Alice owns a session: root → "make it red" (2 candidates) → "make it night",
 * and a branch `alt`.
 */
export interface HttpFixture {
  dir: string;
  blobDir: string;
  store: SessionStore;
  engine: SessionEngine;
  server: KontextServer;
  session: SessionRow;
  first: Turn;
  second: Turn;
  /** Connections the SSRF guard opened (loopback only) and tried to open elsewhere (violations). */
  connects: ConnectTarget[];
  violations: ConnectTarget[];
  logs: string[];
  request(path: string, init?: RequestInit & { as?: { token: string } | null }): Promise<Response>;
  close(): Promise<void>;
}

export async function httpFixture(options: CreateServerOptions = {}): Promise<HttpFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kontext-http-'));
  const blobDir = join(dir, 'blobs');
  const store = SessionStore.open(join(dir, 'kontext.db'));
  const engine = new SessionEngine({ store, blobs: new FileBlobStore(blobDir), providers: [createLocalProvider()] });
  const guard = loopbackOnly();
  const logs: string[] = [];
  const server = createServer(engine, {
    env: {},
    tokens: TOKENS,
    log: (line) => logs.push(line),
    page: false,
    ...HTTP_LIMITS,
    ...options,
    ssrf: { lookup: noLookup, connect: guard.hook, ...options.ssrf },
  });
  const session = await engine.startSession({ image: { bytes: await testImage() }, owner: ALICE.owner, title: 'alice' });
  const first = await engine.edit(session.id, 'make it red', { seed: 1, num_images: 2 });
  const second = await engine.edit(session.id, 'make it night', { seed: 2 });
  await engine.createBranch(session.id, 'alt', first.id);
  return {
    dir,
    blobDir,
    store,
    engine,
    server,
    session: await store.getSession(session.id),
    first,
    second,
    connects: guard.connects,
    violations: guard.violations,
    logs,
    request: (path, init = {}) => {
      const { as = ALICE, headers, ...rest } = init;
      const all = new Headers(headers);
      if (as && !all.has('authorization')) all.set('authorization', `Bearer ${as.token}`);
      return Promise.resolve(server.app.request(path, { ...rest, headers: all }));
    },
    close: async () => {
      try {
        server.beginShutdown();
        await server.settleTurns(5_000);
        await engine.close();
        store.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

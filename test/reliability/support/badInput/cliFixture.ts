import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBlobStore } from '../../../../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../../../../src/engine/SessionEngine.js';
import { SessionStore } from '../../../../src/store/SessionStore.js';
import { testImage } from '../../../support/images.js';
import { CLI, runCli } from '../../../cli/support/cli.js';
import { createLocalProvider } from '../../../../src/providers/local/index.js';
import { snapshotStore, type StoreSnapshot } from '../storeSnapshot.js';
import { rawTar } from './rawTar.js';

/** Whether the CLI is built (`npm test` builds it first); it is run as a user runs it. */
export function cliBuilt(): boolean {
  return existsSync(CLI);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A database the way the CLI lays it out (`<dir>/data/kontext.db`, images in
 * `<dir>/data/blobs`) holding one session — root → "make it red" (2 candidates) → "make it
 * night", branch `alt` — and files to point the CLI at.
 */
export interface CliFixture {
  dir: string;
  db: string;
  blobDir: string;
  sessionId: string;
  rootId: string;
  firstId: string;
  files: { image: string; truncated: string; text: string; folder: string; garbageBundle: string; traversalBundle: string; fakeDb: string };
  /** `kontext --db <db> --session <id> <args>` in `dir`, without FAL_KEY. */
  run(args: readonly string[], options?: { session?: boolean; env?: Record<string, string> }): Promise<CliResult>;
  snapshot(): StoreSnapshot;
  close(): void;
}

export async function cliFixture(): Promise<CliFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kontext-cli-bad-'));
  const db = join(dir, 'data', 'kontext.db');
  const blobDir = join(dir, 'data', 'blobs');
  const store = SessionStore.open(db);
  const engine = new SessionEngine({ store, blobs: new FileBlobStore(blobDir), providers: [createLocalProvider()] });
  const session = await engine.startSession({ image: { bytes: await testImage() }, title: 'cli target' });
  const first = await engine.edit(session.id, 'make it red', { seed: 1, num_images: 2 });
  await engine.edit(session.id, 'make it night', { seed: 2 });
  await engine.createBranch(session.id, 'alt', first.id);
  await engine.close();
  store.close();

  const png = await testImage();
  const files = {
    image: join(dir, 'in.png'),
    truncated: join(dir, 'truncated.png'),
    text: join(dir, 'notes.txt'),
    folder: join(dir, 'a-folder'),
    garbageBundle: join(dir, 'garbage.kontext.tgz'),
    traversalBundle: join(dir, 'traversal.kontext.tgz'),
    fakeDb: join(dir, 'not-a-database.db'),
  };
  writeFileSync(files.image, png);
  writeFileSync(files.truncated, png.subarray(0, png.length >> 1));
  writeFileSync(files.text, 'not an image\n');
  mkdirSync(files.folder);
  writeFileSync(files.garbageBundle, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256)));
  writeFileSync(files.traversalBundle, rawTar([{ name: 'manifest.json', body: '{}' }, { name: '../../evil', body: 'x' }]));
  writeFileSync(files.fakeDb, 'this is a text file, not SQLite\n'.repeat(100));

  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['FAL_KEY', 'FAL_QUEUE_URL', 'FAL_RUN_URL', 'FAL_STORAGE_URL', 'KONTEXT_DB', 'KONTEXT_TOKENS']) delete env[name];
  return {
    dir,
    db,
    blobDir,
    sessionId: session.id,
    rootId: session.headTurnId!,
    firstId: first.id,
    files,
    run: (args, options = {}) =>
      runCli(['--db', db, ...(options.session === false ? [] : ['--session', session.id]), ...args], { cwd: dir, env: { ...env, ...options.env } }),
    snapshot: () => {
      const opened = SessionStore.open(db);
      try {
        return snapshotStore(opened, blobDir);
      } finally {
        opened.close();
      }
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

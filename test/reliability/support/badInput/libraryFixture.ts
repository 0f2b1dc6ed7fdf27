import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FileBlobStore } from '../../../../src/blobs/FileBlobStore.js';
import type { Turn } from '../../../../src/model/index.js';
import { SessionEngine } from '../../../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../../../src/providers/local/index.js';
import type { SessionRow } from '../../../../src/store/schema.js';
import { SessionStore } from '../../../../src/store/SessionStore.js';
import { testImage } from '../../../support/images.js';

/** The engine's input limit in the fixture: small, so an "oversized upload" is cheap to make. */
export const FIXTURE_MAX_INPUT_BYTES = 256 * 1024;

/**
 * A file-backed engine with one session to aim bad input at: root → "make it red" (2
 * candidates) → "make it night", a branch `alt` at the first edit, an exported bundle, and
 * files a user could point at (a real image, an oversized one, text, a folder).
 */
export interface LibraryFixture {
  dir: string;
  dbFile: string;
  blobDir: string;
  store: SessionStore;
  /** Reads local files (`allowLocalFiles`), so the path cases reach the file checks. */
  engine: SessionEngine;
  /** An engine over the same store and archive with the library's defaults: no local files, the SSRF guard. */
  defaults: SessionEngine;
  session: SessionRow;
  root: Turn;
  first: Turn;
  second: Turn;
  /** Another session, whose turns must not be usable from the first. */
  other: SessionRow;
  bundle: string;
  files: { image: string; oversized: string; text: string; folder: string; missing: string };
  close(): Promise<void>;
}

export async function libraryFixture(): Promise<LibraryFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kontext-bad-input-'));
  const dbFile = join(dir, 'data', 'kontext.db');
  const blobDir = join(dir, 'data', 'blobs');
  const store = SessionStore.open(dbFile);
  const engine = new SessionEngine({ store, blobs: new FileBlobStore(blobDir), providers: [createLocalProvider()], maxInputBytes: FIXTURE_MAX_INPUT_BYTES, allowLocalFiles: true });
  const defaults = new SessionEngine({ store, blobs: new FileBlobStore(blobDir), providers: [createLocalProvider()], maxInputBytes: FIXTURE_MAX_INPUT_BYTES });
  const session = await engine.startSession({ image: { bytes: await testImage() }, title: 'bad input target' });
  const root = (await engine.head(session.id))!;
  const first = await engine.edit(session.id, 'make it red', { seed: 1, num_images: 2 });
  const second = await engine.edit(session.id, 'make it night', { seed: 2 });
  await engine.createBranch(session.id, 'alt', first.id);
  const other = await engine.startSession({ image: { bytes: await testImage(40, 30) }, title: 'someone else' });
  const bundle = join(dir, 'good.kontext.tgz');
  await engine.exportSession(session.id, bundle);

  const files = {
    image: join(dir, 'in.png'),
    oversized: join(dir, 'big.png'),
    text: join(dir, 'notes.txt'),
    folder: join(dir, 'a-folder'),
    missing: join(dir, 'no-such-file.png'),
  };
  writeFileSync(files.image, await testImage());
  // Noise does not compress: 400×400 RGB is ~480 KB of PNG, above the 256 KiB limit.
  writeFileSync(files.oversized, await sharp({ create: { width: 400, height: 400, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer());
  writeFileSync(files.text, 'not an image\n');
  mkdirSync(files.folder);
  return {
    dir,
    dbFile,
    blobDir,
    store,
    engine,
    defaults,
    session: await store.getSession(session.id),
    root,
    first,
    second,
    other,
    bundle,
    files,
    close: async () => {
      await engine.close();
      await defaults.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

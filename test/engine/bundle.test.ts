import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { nanoid } from 'nanoid';
import sharp from 'sharp';
import { create as createTar, extract as extractTar, list as listTar } from 'tar';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileBlobStore } from '../../src/blobs/index.js';
import { exportSession, importBundle, manifestDigest, BUNDLE_FORMAT, BUNDLE_VERSION, type BundleDeps } from '../../src/engine/bundle/index.js';
import { ConflictError, IntegrityError, ValidationError } from '../../src/errors/index.js';
import { SessionStore, SqliteSessionStore } from '../../src/store/index.js';
import { EndpointRegistry } from '../../src/kontext/endpoints.js';
import { testTempDir } from '../support/testTempDir.js';

const stores: SqliteSessionStore[] = [];
const tempDir = (prefix = 'kontext-bundle-test-') => testTempDir(prefix);
// Stores close here, before their folders go (those are removed once the test has finished).
afterEach(() => {
  vi.unstubAllEnvs();
  for (const s of stores.splice(0)) s.close();
});

/** A store whose clock ticks 1,234 ms per write from an odd millisecond, so dates that lose precision show. */
function steppingStore(): SqliteSessionStore {
  let t = Date.UTC(2024, 4, 1, 12, 34, 56, 789);
  return SessionStore.inMemory({ now: () => new Date((t += 1234)) });
}

function freshDeps(store = SessionStore.inMemory()): BundleDeps & { blobDir: string } {
  stores.push(store);
  const blobDir = tempDir('kontext-bundle-blobs-');
  return { store, blobs: new FileBlobStore(blobDir), blobDir };
}

async function png(r: number, g: number, b: number): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 6, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

/** Puts a real PNG into the archive and records its metadata, as the engine does. */
async function archive(deps: BundleDeps, bytes: Buffer) {
  const { hash, size } = await deps.blobs.put(bytes);
  await deps.store.recordBlob({ hash, size, contentType: 'image/png', width: 8, height: 6 });
  return { blobHash: hash, contentType: 'image/png', width: 8, height: 6, providerUrl: null, nsfw: false };
}

/**
 * source → edit (2 candidates, the second selected) → two branches: one succeeded (with a
 * branch ref on it), one failed with an error detail.
 */
async function buildSession(deps: BundleDeps, options: { prompt?: string } = {}) {
  const { store } = deps;
  const session = await store.createSession({
    title: 'cat on a sofa',
    defaultEndpoint: 'fal-ai/flux-pro/kontext',
    defaultParams: { guidance_scale: 3.5, output_format: 'png' },
    budgetMicros: 2_000_000,
  });
  const source = await archive(deps, await png(200, 200, 200));
  const root = await store.appendTurn({ sessionId: session.id, parentId: null, kind: 'source', inputBlob: source.blobHash }, { moveHead: true });
  await store.completeTurn(root.id, [{ index: 0, ...source }], { finishedAt: new Date(Date.UTC(2024, 4, 1, 12, 35, 0, 1)) });

  const red = await archive(deps, await png(220, 30, 30));
  const darkRed = await archive(deps, await png(120, 10, 10));
  const prompt = options.prompt ?? 'make the sofa red';
  const edit = await store.appendTurn(
    {
      sessionId: session.id,
      parentId: root.id,
      kind: 'edit',
      endpointId: 'fal-ai/flux-pro/kontext',
      provider: 'fal',
      prompt,
      params: { prompt, guidance_scale: 3.5, num_images: 2, image_url: `data:image/png;sha256=${source.blobHash},<elided>` },
      seedRequested: 42,
      inputBlob: source.blobHash,
    },
    { moveHead: true },
  );
  await store.transitionTurn(edit.id, 'submitted', {
    requestId: 'req-123',
    providerHandle: { statusUrl: 'https://queue.fal.run/x/requests/req-123/status' },
    submitAttemptedAt: new Date(Date.UTC(2024, 4, 1, 12, 36, 0, 3)),
    startedAt: new Date(Date.UTC(2024, 4, 1, 12, 36, 0, 7)),
  });
  await store.completeTurn(edit.id, [{ index: 0, ...red }, { index: 1, ...darkRed }], {
    seedUsed: 42,
    costMicros: 80_000,
    timings: { inference: 1.873 },
    selectedOutput: 1,
    finishedAt: new Date(Date.UTC(2024, 4, 1, 12, 36, 4, 999)),
  });

  const hat = await archive(deps, await png(30, 30, 220));
  const withHat = await store.appendTurn(
    { sessionId: session.id, parentId: edit.id, kind: 'edit', endpointId: 'fal-ai/flux-pro/kontext', prompt: 'add a hat', params: { prompt: 'add a hat' }, seedRequested: 7, inputBlob: darkRed.blobHash },
    { moveHead: true },
  );
  await store.completeTurn(withHat.id, [{ index: 0, ...hat }], { seedUsed: 7, costMicros: 40_000 });
  await store.setRef(session.id, 'hat', withHat.id);
  await store.setPinned(withHat.id, true);

  const failed = await store.appendTurn({ sessionId: session.id, parentId: edit.id, kind: 'edit', endpointId: 'fal-ai/flux-pro/kontext', prompt: 'x', inputBlob: darkRed.blobHash });
  await store.transitionTurn(failed.id, 'failed', {
    errorCode: 'VALIDATION',
    errorMessage: 'prompt: too short',
    errorDetail: [{ loc: ['body', 'prompt'], msg: 'too short', type: 'value_error' }],
    finishedAt: new Date(Date.UTC(2024, 4, 1, 12, 37, 0, 11)),
  });
  return { session: await store.getSession(session.id), turns: { root, edit, withHat, failed } };
}

/** Every row of a session, for deep comparison. */
async function snapshot(store: SessionStore, sessionId: string) {
  const turns = await store.listTurns(sessionId);
  const outputs = [...(await store.outputsOfMany(turns.map((t) => t.id))).values()].flat();
  const hashes = [...new Set([...outputs.map((o) => o.blobHash), ...turns.flatMap((t) => (t.inputBlob ? [t.inputBlob] : []))])].sort();
  return {
    session: await store.getSession(sessionId),
    turns,
    outputs,
    refs: await store.listRefs(sessionId),
    blobs: await Promise.all(hashes.map((h) => store.findBlob(h))),
  };
}

function rowCounts(store: SessionStore): Record<string, number> {
  if (!(store instanceof SqliteSessionStore)) throw new Error('rowCounts reads a SQLite store');
  const out: Record<string, number> = {};
  for (const table of ['sessions', 'turns', 'outputs', 'refs', 'blobs']) {
    out[table] = (store.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function exportedBundle() {
  const source = freshDeps(steppingStore());
  const built = await buildSession(source);
  const file = join(tempDir(), 'session.kontext.tgz');
  const result = await exportSession(source, built.session.id, file);
  return { source, built, file, result };
}

/** Unpacks a bundle, lets `edit` change the files, and packs them again with the tar library. */
async function rewriteBundle(file: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = tempDir('kontext-bundle-unpacked-');
  await extractTar({ file, cwd: dir });
  await edit(dir);
  const out = join(tempDir(), 'rewritten.kontext.tgz');
  const names = ['manifest.json', ...readdirSync(join(dir, 'blobs')).map((h) => `blobs/${h}`)].filter((n) => existsSync(join(dir, n)));
  await createTar({ file: out, gzip: true, cwd: dir, portable: true }, names);
  return out;
}

/**
 * Changes the manifest and, unless `reseal` is false, writes the digest of the changed contents,
 * as someone forging a bundle would: the rules behind the digest must hold on their own.
 */
async function editManifest(dir: string, change: (manifest: Record<string, any>) => void, { reseal = true } = {}): Promise<void> {
  const path = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  change(manifest);
  if (reseal && manifest.digest !== undefined) manifest.digest = manifestDigest(manifest);
  await writeFile(path, JSON.stringify(manifest));
}

/** Runs an import that must be refused, and checks the target store and archive stayed empty. */
async function expectRefused(file: string, options: Parameters<typeof importBundle>[2] = {}) {
  const target = freshDeps();
  const staging = tempDir('kontext-bundle-staging-');
  const error = await importBundle(target, file, { ...options, tempDir: staging }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the import should have been refused').toBeInstanceOf(Error);
  expect(rowCounts(target.store)).toEqual({ sessions: 0, turns: 0, outputs: 0, refs: 0, blobs: 0 });
  expect(filesUnder(target.blobDir)).toEqual([]);
  expect(readdirSync(staging), 'the staging folder is removed').toEqual([]);
  return error as Error;
}

describe('export then import', () => {
  it('recreates the same tree, rows (dates to the millisecond) and image bytes in a fresh store', async () => {
    const { source, built, file, result } = await exportedBundle();
    expect(result).toMatchObject({ turns: 4, blobs: 4 });
    expect(result.bytes).toBe((await readFile(file)).length);

    const target = freshDeps();
    const imported = await importBundle(target, file);
    expect(imported).toEqual({ sessionId: built.session.id, turns: 4, blobs: 4, alreadyPresent: false });

    const before = await snapshot(source.store, built.session.id);
    const after = await snapshot(target.store, built.session.id);
    expect(after).toEqual(before);
    // toEqual compares Dates by value; make sure they are Dates and not numbers that happen to match.
    expect(after.turns[1]!.submitAttemptedAt).toBeInstanceOf(Date);
    expect(after.turns[1]!.submitAttemptedAt!.getTime()).toBe(Date.UTC(2024, 4, 1, 12, 36, 0, 3));
    expect(after.session.headTurnId).toBe(built.turns.withHat.id);
    expect((await target.store.children(built.turns.edit.id)).map((t) => t.id).sort()).toEqual([built.turns.withHat.id, built.turns.failed.id].sort());
    expect((await target.store.getTurn(built.turns.edit.id)).selectedOutput).toBe(1);
    expect((await target.store.getTurn(built.turns.failed.id)).errorDetail).toEqual([{ loc: ['body', 'prompt'], msg: 'too short', type: 'value_error' }]);
    expect((await target.store.findRef(built.session.id, 'hat'))?.turnId).toBe(built.turns.withHat.id);

    for (const blob of before.blobs) {
      const original = await source.blobs.get(blob!.hash);
      expect((await target.blobs.get(blob!.hash)).equals(original)).toBe(true);
    }
  });

  it('writes a gzip tar holding only manifest.json and blobs/<sha256>, with a versioned manifest', async () => {
    const { file, source } = await exportedBundle();
    const names: string[] = [];
    await listTar({ file, onReadEntry: (e) => void names.push(e.path) });
    const blobNames = names.slice(1);
    expect(names[0]).toBe('manifest.json');
    expect(blobNames).toHaveLength(4);
    for (const n of blobNames) expect(n).toMatch(/^blobs\/[0-9a-f]{64}$/);
    const bytes = await readFile(file);
    expect([bytes[0], bytes[1]], 'gzip magic').toEqual([0x1f, 0x8b]);

    const dir = tempDir('kontext-bundle-unpacked-');
    await extractTar({ file, cwd: dir });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: BUNDLE_FORMAT, version: BUNDLE_VERSION, exportedBy: { library: 'kontext-sessions' } });
    expect(typeof manifest.exportedAt).toBe('number');
    expect(manifest.turns[0].createdAt).toBe(Date.UTC(2024, 4, 1, 12, 34, 56, 789) + 3 * 1234);
    for (const n of blobNames) expect((await readFile(join(dir, n))).equals(await source.blobs.get(n.slice('blobs/'.length)))).toBe(true);
  });

  it('imports a manifest that lists children before their parents', async () => {
    const { file, source, built } = await exportedBundle();
    const reversed = await rewriteBundle(file, (dir) => editManifest(dir, (m) => void m.turns.reverse()));
    const target = freshDeps();
    await importBundle(target, reversed);
    expect(await snapshot(target.store, built.session.id)).toEqual(await snapshot(source.store, built.session.id));
  });

  it('round-trips a session with no turns yet', async () => {
    const source = freshDeps(steppingStore());
    const session = await source.store.createSession({ title: 'empty', defaultEndpoint: 'fal-ai/flux-pro/kontext' });
    const file = join(tempDir(), 'empty.kontext.tgz');
    expect(await exportSession(source, session.id, file)).toMatchObject({ turns: 0, blobs: 0 });
    const target = freshDeps();
    expect(await importBundle(target, file)).toEqual({ sessionId: session.id, turns: 0, blobs: 0, alreadyPresent: false });
    expect(await target.store.getSession(session.id)).toEqual(session);
  });

  it('importing the same bundle twice keeps one copy and reports it was already present', async () => {
    const { file, built } = await exportedBundle();
    const target = freshDeps();
    const first = await importBundle(target, file);
    const rowsAfterFirst = await snapshot(target.store, built.session.id);
    const counts = rowCounts(target.store);
    const files = filesUnder(target.blobDir);

    const second = await importBundle(target, file);
    expect(first.alreadyPresent).toBe(false);
    expect(second).toEqual({ ...first, alreadyPresent: true });
    expect(rowCounts(target.store)).toEqual(counts);
    expect(counts).toEqual({ sessions: 1, turns: 4, outputs: 4, refs: 1, blobs: 4 });
    expect(filesUnder(target.blobDir)).toEqual(files);
    expect(await snapshot(target.store, built.session.id)).toEqual(rowsAfterFirst);
  });

  it('gives the session the owner passed on import', async () => {
    const { file, built } = await exportedBundle();
    const target = freshDeps();
    await importBundle(target, file, { owner: 'token-owner-7' });
    expect((await target.store.getSession(built.session.id)).owner).toBe('token-owner-7');
    expect(await target.store.listSessions({ owner: 'token-owner-7' })).toHaveLength(1);
    // The same bundle imported as someone else must not be reported as theirs.
    await expect(importBundle(target, file, { owner: 'someone-else' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses to import over a copy of the session that lacks some of its turns', async () => {
    const { file, built } = await exportedBundle();
    const trimmed = await rewriteBundle(file, (dir) =>
      editManifest(dir, (m) => {
        m.turns = m.turns.filter((t: { id: string }) => t.id !== built.turns.failed.id);
        m.session.headTurnId = built.turns.withHat.id;
      }),
    );
    const target = freshDeps();
    await importBundle(target, trimmed);
    const counts = rowCounts(target.store);
    await expect(importBundle(target, file)).rejects.toBeInstanceOf(ConflictError);
    expect(rowCounts(target.store)).toEqual(counts);
  });
});

describe('refused bundles leave the store and the archive unchanged', () => {
  it('a blob whose bytes were changed is refused with IntegrityError', async () => {
    const { file, built } = await exportedBundle();
    const selected = built.turns.withHat.inputBlob!;
    const tampered = await rewriteBundle(file, async (dir) => {
      const path = join(dir, 'blobs', selected);
      const bytes = await readFile(path);
      const at = bytes.length - 20;
      bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
      await writeFile(path, bytes);
    });
    const error = await expectRefused(tampered);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toContain(selected);
  });

  it('a bundle missing an image its rows reference is refused with IntegrityError', async () => {
    const { file, built } = await exportedBundle();
    const selected = built.turns.withHat.inputBlob!;
    const cut = await rewriteBundle(file, (dir) => rm(join(dir, 'blobs', selected)));
    const error = await expectRefused(cut);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toContain(selected);
  });

  it('a bundle of a newer format version is refused with a message to upgrade', async () => {
    const { file } = await exportedBundle();
    const next = BUNDLE_VERSION + 1;
    const newer = await rewriteBundle(file, (dir) => editManifest(dir, (m) => void (m.version = next)));
    const error = await expectRefused(newer);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain(`bundle format version ${next} is newer than this kontext-sessions supports (${BUNDLE_VERSION}); upgrade to import it`);
  });

  it('a manifest changed after export (a prompt edited by hand) is refused by its digest', async () => {
    const { file } = await exportedBundle();
    const edited = await rewriteBundle(file, (dir) => editManifest(dir, (m) => void (m.turns[1].prompt = 'something else'), { reseal: false }));
    const error = await expectRefused(edited);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toContain('manifest.json was changed after export');
  });

  it('a current-version manifest without its digest is refused naming the field', async () => {
    const { file } = await exportedBundle();
    const stripped = await rewriteBundle(file, (dir) => editManifest(dir, (m) => void delete m.digest));
    const error = await expectRefused(stripped);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['digest']);
  });

  it('a version-1 bundle, written before digests, still imports', async () => {
    const { built, file } = await exportedBundle();
    const older = await rewriteBundle(file, (dir) => editManifest(dir, (m) => {
      m.version = 1;
      delete m.digest;
    }));
    const target = freshDeps();
    expect(await importBundle(target, older)).toMatchObject({ sessionId: built.session.id, turns: 4 });
  });

  it('pins travel in the bundle, and a version-2 bundle, written before pins, imports with its turns unpinned', async () => {
    const { source, built, file } = await exportedBundle();
    const current = freshDeps();
    await importBundle(current, file);
    expect((await current.store.pinnedTurns(built.session.id)).map((t) => t.id)).toEqual([built.turns.withHat.id]);
    const pinnedAt = (await source.store.getTurn(built.turns.withHat.id)).pinnedAt;
    expect(pinnedAt).toBeInstanceOf(Date);
    expect((await current.store.getTurn(built.turns.withHat.id)).pinnedAt).toEqual(pinnedAt);

    const older = await rewriteBundle(file, (dir) => editManifest(dir, (m) => {
      m.version = 2;
      for (const turn of m.turns) delete turn.pinnedAt;
    }));
    const target = freshDeps();
    expect(await importBundle(target, older)).toMatchObject({ sessionId: built.session.id, turns: 4 });
    expect(await target.store.pinnedTurns(built.session.id)).toEqual([]);
  });

  it.each([
    ['text', Buffer.from('this is not a bundle, just some words '.repeat(40))],
    ['an empty file', Buffer.alloc(0)],
    ['gzip of text', gzipSync(Buffer.from('hello '.repeat(500)))],
    ['a cut-short bundle', 'truncate'],
  ] as const)('%s is refused with IntegrityError', async (_name, content) => {
    const file = join(tempDir(), 'not-a-bundle.tgz');
    if (content === 'truncate') {
      const { file: good } = await exportedBundle();
      const bytes = await readFile(good);
      await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    } else {
      await writeFile(file, content);
    }
    const error = await expectRefused(file);
    expect(error).toBeInstanceOf(IntegrityError);
  });

  it('a manifest with a missing field is refused naming the field', async () => {
    const { file } = await exportedBundle();
    const broken = await rewriteBundle(file, (dir) => editManifest(dir, (m) => void delete m.turns[1].status));
    const error = await expectRefused(broken);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['turns.1.status']);
    expect(error.message).toContain('turns.1.status');
  });

  it('a manifest whose turn names a parent outside the bundle is refused naming the field', async () => {
    const { file } = await exportedBundle();
    const broken = await rewriteBundle(file, (dir) => editManifest(dir, (m) => void (m.turns[2].parentId = 'nowhere')));
    const error = await expectRefused(broken);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toContain('turns.2.parentId');
  });

  it.each([
    ['a branch named a b/../..', (m: Record<string, any>) => void (m.refs[0].name = 'a b/../..'), 'refs.0.name'],
    ['a branch named HEAD', (m: Record<string, any>) => void (m.refs[0].name = 'HEAD'), 'refs.0.name'],
    ['a branch named as the start of a turn id', (m: Record<string, any>) => void (m.refs[0].name = m.turns[1].id.slice(0, 6)), 'refs.0.name'],
    ['a headRef naming no branch', (m: Record<string, any>) => void (m.session.headRef = 'nowhere'), 'session.headRef'],
    ['a redoStack with an unknown turn', (m: Record<string, any>) => void (m.session.redoStack = ['unknownturn1']), 'session.redoStack.0'],
    ['selectedOutput 7 on a turn with one output', (m: Record<string, any>) => void (m.turns[1].selectedOutput = 7), 'turns.1.selectedOutput'],
    ['costMicros -999999999', (m: Record<string, any>) => void (m.turns[1].costMicros = -999_999_999), 'turns.1.costMicros'],
  ])('a manifest with %s is refused naming the field, nothing half-imported', async (_name, change, field) => {
    const { file } = await exportedBundle();
    const broken = await rewriteBundle(file, (dir) => editManifest(dir, change));
    const error = await expectRefused(broken);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toContain(field);
  });

  it('a blob whose hash matches but is not an image is refused, with the decode check not skipped', async () => {
    const { file } = await exportedBundle();
    const text = Buffer.from('not an image at all, but its hash is right');
    const hash = createHash('sha256').update(text).digest('hex');
    const broken = await rewriteBundle(file, async (dir) => {
      const old = readdirSync(join(dir, 'blobs'))[0]!;
      await rm(join(dir, 'blobs', old));
      await writeFile(join(dir, 'blobs', hash), text);
      await editManifest(dir, (m) => {
        const swap = (h: string | null) => (h === old ? hash : h);
        for (const b of m.blobs) if (b.hash === old) Object.assign(b, { hash, size: text.length });
        for (const o of m.outputs) o.blobHash = swap(o.blobHash);
        for (const t of m.turns) t.inputBlob = swap(t.inputBlob);
      });
    });
    const error = await expectRefused(broken);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]).toMatchObject({ field: `blobs/${hash}` });
    expect(error.message).toMatch(/not a supported image/);
  });

  it('a manifest naming an endpoint this engine does not know is refused', async () => {
    const { file } = await exportedBundle();
    const broken = await rewriteBundle(file, (dir) => editManifest(dir, (m) => void (m.turns[1].endpointId = 'fal-ai/flux-pro/kontext/../../admin')));
    const target = freshDeps();
    const error = await importBundle({ ...target, endpoints: new EndpointRegistry() }, broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toContain('turns.1.endpointId');
    expect(rowCounts(target.store).sessions).toBe(0);
  });

  it('a bundle without manifest.json is refused', async () => {
    const { file } = await exportedBundle();
    const headless = await rewriteBundle(file, (dir) => rm(join(dir, 'manifest.json')));
    const error = await expectRefused(headless);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toContain('manifest.json');
  });

  it('a bundle that unpacks to more than maxBytes is refused', async () => {
    const { file, result } = await exportedBundle();
    const error = await expectRefused(file, { maxBytes: 1000 });
    expect(result.bytes).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('maxBytes');
  });

  it('a bundle with more entries than maxEntries is refused', async () => {
    const { file } = await exportedBundle();
    const error = await expectRefused(file, { maxEntries: 3 });
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('maxEntries');
  });
});

describe('hostile entries are never written outside the staging folder', () => {
  /** A bundle whose entries are a valid export plus one `extra` entry made by `make` in the packing folder. */
  async function bundleWithExtra(extra: string, make: (path: string) => Promise<void>) {
    const { file } = await exportedBundle();
    const root = tempDir('kontext-bundle-hostile-');
    const inner = join(root, 'a', 'b');
    await mkdir(inner, { recursive: true });
    await extractTar({ file, cwd: inner });
    const at = extra.startsWith('/') ? extra : join(inner, extra);
    await mkdir(dirname(at), { recursive: true });
    await make(at);
    const out = join(tempDir(), 'hostile.kontext.tgz');
    const names = [extra, 'manifest.json', ...readdirSync(join(inner, 'blobs')).map((h) => `blobs/${h}`)];
    // preservePaths keeps '../' and absolute names in the archive, as an attacker's tool would.
    await createTar({ file: out, gzip: true, cwd: inner, preservePaths: true, portable: true }, names);
    return out;
  }

  it('an entry named ../evil is refused and no file appears outside', async () => {
    const name = `evil-${nanoid(8)}`;
    const file = await bundleWithExtra(`../${name}`, (p) => writeFile(p, 'pwned'));
    const staging = tempDir('kontext-bundle-staging-');
    const error = await importBundle(freshDeps(), file, { tempDir: staging }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toContain(`../${name}`);
    // Where an unsafe extractor would have put it: next to the staging folder, or above the cwd.
    expect(existsSync(join(staging, '..', name))).toBe(false);
    expect(existsSync(join(tmpdir(), name))).toBe(false);
    expect(existsSync(join(process.cwd(), '..', name))).toBe(false);
    expect(readdirSync(staging)).toEqual([]);
  });

  it('an absolute path entry is refused and nothing is written there', async () => {
    const target = join(tempDir('kontext-bundle-abs-'), `abs-${nanoid(8)}`);
    const file = await bundleWithExtra(target, (p) => writeFile(p, 'pwned'));
    rmSync(target);
    const error = await expectRefused(file);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(existsSync(target)).toBe(false);
  });

  it('a symlink posing as a blob is refused', async () => {
    const file = await bundleWithExtra(`blobs/${'a'.repeat(64)}`, (p) => symlink('/etc/passwd', p));
    const error = await expectRefused(file);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toContain('SymbolicLink');
  });
});

describe('secrets never leave in a bundle', () => {
  it('export refuses when a given secret occurs in a turn, naming the field but not the secret', async () => {
    const secret = 'fal-key-id:0123456789abcdef0123456789abcdef';
    const source = freshDeps();
    const built = await buildSession(source, { prompt: `use ${secret} please` });
    const file = join(tempDir(), 'leak.kontext.tgz');
    const error = await exportSession(source, built.session.id, file, { secrets: [secret] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const fields = (error as ValidationError).issues.map((i) => i.field);
    expect(fields).toContain('turns.1.params.prompt');
    expect(fields).toContain('turns.1.prompt');
    expect((error as Error).message).not.toContain('0123456789abcdef');
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dirname(file))).toEqual([]);
  });

  it('export checks FAL_KEY from the environment by default, including its secret half alone', async () => {
    vi.stubEnv('FAL_KEY', 'key-id-1:s3cr3t-s3cr3t-s3cr3t');
    const source = freshDeps();
    const built = await buildSession(source, { prompt: 'paste s3cr3t-s3cr3t-s3cr3t here' });
    const file = join(tempDir(), 'leak.kontext.tgz');
    await expect(exportSession(source, built.session.id, file)).rejects.toBeInstanceOf(ValidationError);
    expect(existsSync(file)).toBe(false);
  });
});

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { create as createTar, extract as extractTar } from 'tar';
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { manifestDigest } from '../../src/engine/bundle/index.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { ValidationError } from '../../src/errors/index.js';
import { LOCAL_MAX_REFERENCES } from '../../src/kontext/endpoints.js';
import { turnDoc, httpImageAddress } from '../../src/present/documents.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { countingProvider } from '../support/countingProvider.js';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function makeEngine(options: { allowLocalFiles?: boolean; store?: SessionStore; blobs?: MemoryBlobStore } = {}) {
  const store = options.store ?? SessionStore.inMemory();
  const blobs = options.blobs ?? new MemoryBlobStore();
  const local = createLocalProvider();
  const provider = countingProvider(local);
  const engine = new SessionEngine({ store, blobs, providers: [provider], allowLocalFiles: options.allowLocalFiles });
  return { engine, store, blobs, provider, local };
}

/** A solid square of one colour, as a reference image. */
const solid = (r: number, g: number, b: number, side = 32) => sharp({ create: { width: side, height: side, channels: 3, background: { r, g, b } } }).png().toBuffer();

/** The mean colour of the output's bottom-left square a quarter of its shorter side wide, shifted `index` squares right. */
async function thumbnailColour(bytes: Buffer, index: number): Promise<[number, number, number]> {
  const { width, height } = await sharp(bytes).metadata();
  const side = Math.floor(Math.min(width!, height!) / 4);
  const inner = Math.max(1, Math.floor(side / 2));
  const { data } = await sharp(bytes).extract({ left: index * side + Math.floor(side / 4), top: height! - side + Math.floor(side / 4), width: inner, height: inner }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 3) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
  const n = data.length / 3;
  return sum.map((v) => Math.round(v / n)) as [number, number, number];
}

const near = (actual: readonly number[], expected: readonly number[], tolerance = 12) => actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);

describe('reference images', () => {
  it('are archived with the turn, sent beside the chained image, and show in the simulated output', async () => {
    const { engine, blobs, provider } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage(256, 192) } });
    const yellow = await solid(250, 220, 0);
    const cyan = await solid(0, 200, 220);
    const turn = await engine.edit(session.id, 'make it red', { seed: 3, output_format: 'png' }, { references: [{ bytes: yellow }, { dataUri: `data:image/png;base64,${cyan.toString('base64')}` }] });

    expect(turn.status).toBe('succeeded');
    expect(turn.referenceBlobs).toEqual([sha256(yellow), sha256(cyan)]);
    expect(await blobs.get(turn.referenceBlobs[0]!)).toEqual(yellow);
    // The provider got both, in order, beside the chained image (as URLs naming the archived bytes).
    const sent = provider.submissions.at(-1)!.input;
    expect(sent.reference_image_urls).toEqual([expect.stringContaining(sha256(yellow)), expect.stringContaining(sha256(cyan))]);
    const output = await blobs.get(turn.outputs[0]!.blobHash);
    expect(near(await thumbnailColour(output, 0), [250, 220, 0])).toBe(true);
    expect(near(await thumbnailColour(output, 1), [0, 200, 220])).toBe(true);
    // The presenter shows them as addresses, in order.
    expect(turnDoc(turn, httpImageAddress).references).toEqual([`/images/${sha256(yellow)}`, `/images/${sha256(cyan)}`]);
  });

  it('an archived image can be a reference by its hash; an unknown hash is refused naming the item', async () => {
    const { engine } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const first = await engine.edit(session.id, 'make it blue', { seed: 1 });
    const second = await engine.edit(session.id, 'make it night', { seed: 2 }, { references: [{ blobHash: first.outputs[0]!.blobHash }] });
    expect(second.referenceBlobs).toEqual([first.outputs[0]!.blobHash]);

    const error = await engine.edit(session.id, 'make it day', {}, { references: [{ bytes: await solid(1, 2, 3) }, { blobHash: 'f'.repeat(64) }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ field: 'references[1].blobHash', message: `no archived image has hash ${'f'.repeat(64)}` }]);
  });

  it('more references than the endpoint takes are refused before any is read or anything is sent', async () => {
    const { engine, provider, store } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const tooMany = await Promise.all(Array.from({ length: LOCAL_MAX_REFERENCES + 1 }, (_, i) => solid(i * 40, 0, 0)));
    const error = await engine.edit(session.id, 'make it red', {}, { references: tooMany.map((bytes) => ({ bytes })) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ field: 'references', message: `${LOCAL_MAX_REFERENCES + 1} reference images given; 'local/kontext-sim' takes at most ${LOCAL_MAX_REFERENCES}` }]);
    // An endpoint that takes none says so (checked before its provider is even looked up).
    const none = await engine.edit(session.id, 'make it red', {}, { endpoint: 'fal-ai/flux-pro/kontext', references: [{ bytes: tooMany[0]! }] }).catch((e: unknown) => e);
    expect((none as ValidationError).issues).toEqual([{ field: 'references', message: "1 reference image given; 'fal-ai/flux-pro/kontext' takes no reference images" }]);
    expect(provider.submissions).toHaveLength(0);
    // None was archived either: the count is checked before the images are read.
    for (const bytes of tooMany) expect(await store.findBlob(sha256(bytes))).toBeUndefined();
  });

  it('go through the guarded image input: no local files unless allowed, URLs through the SSRF guard', async () => {
    const dir = testTempDir('kontext-refs-');
    const file = join(dir, 'ref.png');
    await writeFile(file, await solid(10, 200, 10));
    const { engine, provider } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const fileError = await engine.edit(session.id, 'make it red', {}, { references: [{ path: file }] }).catch((e: unknown) => e);
    expect((fileError as ValidationError).issues[0]!.field).toBe('references[0].path');
    // 127.0.0.1 is not a public address: the default guard refuses it before connecting.
    const urlError = await engine.edit(session.id, 'make it red', {}, { references: [{ url: 'http://127.0.0.1:9/ref.png' }] }).catch((e: unknown) => e);
    expect(urlError).toMatchObject({ code: 'UNSAFE_URL' });
    expect(provider.submissions).toHaveLength(0);

    const allowed = makeEngine({ allowLocalFiles: true });
    const s2 = await allowed.engine.startSession({ image: { bytes: await testImage() } });
    const turn = await allowed.engine.edit(s2.id, 'make it red', {}, { references: [{ path: file }] });
    expect(turn.referenceBlobs).toEqual([sha256(await readFile(file))]);
  });

  it('a memo hit needs the same references: other references pay for a new result', async () => {
    const { engine, provider } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const a = await solid(200, 0, 0);
    const b = await solid(0, 0, 200);
    const first = await engine.edit(session.id, 'make it red', { seed: 9 }, { references: [{ bytes: a }] });
    const again = await engine.edit(session.id, 'make it red', { seed: 9 }, { from: first.parentId!, references: [{ bytes: a }] });
    const other = await engine.edit(session.id, 'make it red', { seed: 9 }, { from: first.parentId!, references: [{ bytes: b }] });
    const none = await engine.edit(session.id, 'make it red', { seed: 9 }, { from: first.parentId! });
    expect(again.originKind).toBe('memo');
    expect(again.referenceBlobs).toEqual([sha256(a)]);
    expect(other.originKind).toBeNull();
    expect(none.originKind).toBeNull();
    expect(provider.submissions).toHaveLength(3);
  });

  it('replays keep them: exact copies them, fresh sends the same bytes again', async () => {
    const { engine, provider, local } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage(128, 96) } });
    const reference = await solid(250, 220, 0);
    const turn = await engine.edit(session.id, 'make it red', { seed: 4, output_format: 'png' }, { references: [{ bytes: reference }] });

    const exact = await engine.replay(session.id, { mode: 'exact' });
    expect((await engine.getTurn(exact.tip)).referenceBlobs).toEqual(turn.referenceBlobs);

    const fresh = await engine.replay(session.id, { mode: 'fresh' });
    const replayed = await engine.getTurn(fresh.tip);
    expect(replayed.referenceBlobs).toEqual(turn.referenceBlobs);
    const sent = provider.submissions.at(-1)!.input.reference_image_urls as string[];
    expect(sent).toHaveLength(1);
    const { body } = await local.download(sent[0]!);
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(reference));
    expect(replayed.outputs[0]!.blobHash).toBe(turn.outputs[0]!.blobHash);
  });

  it('a turn written by one process is run with its references by another (the simulator reads them from the archive)', async () => {
    const store = SessionStore.inMemory();
    const blobs = new MemoryBlobStore();
    const first = makeEngine({ store, blobs });
    const session = await first.engine.startSession({ image: { bytes: await testImage(128, 96) } });
    const reference = await solid(0, 200, 220);
    const written = await first.engine.beginEdit(session.id, 'make it red', { seed: 5, output_format: 'png' }, { references: [{ bytes: reference }] });
    await first.engine.close();
    // Nothing ran yet; a new process with a new simulator (empty memory) resumes the turn.
    const second = makeEngine({ store, blobs });
    await store.releaseTurn(written.id, first.engine.engineId);
    const report = await second.engine.resume();
    const done = report.resumed.find((t) => t.id === written.id)!;
    expect(done.status).toBe('succeeded');
    expect(near(await thumbnailColour(await blobs.get(done.outputs[0]!.blobHash), 0), [0, 200, 220])).toBe(true);
  });
});

describe('reference images in bundles', () => {
  it('travel in an export and come back on import, bytes and all', async () => {
    const { engine } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const reference = await solid(250, 220, 0);
    const turn = await engine.edit(session.id, 'make it red', { seed: 1 }, { references: [{ bytes: reference }] });
    const file = join(testTempDir('kontext-refs-bundle-'), 'refs.kontext.tgz');
    await engine.exportSession(session.id, file);

    const target = makeEngine();
    await target.engine.importBundle(file);
    const imported = await target.engine.getTurn(turn.id);
    expect(imported.referenceBlobs).toEqual([sha256(reference)]);
    expect(await target.blobs.get(sha256(reference))).toEqual(reference);
  });

  it('a version-2 bundle, written before references, still imports with none', async () => {
    const { engine } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const turn = await engine.edit(session.id, 'make it red', { seed: 1 });
    const dir = testTempDir('kontext-refs-v2-');
    const file = join(dir, 'current.kontext.tgz');
    await engine.exportSession(session.id, file);
    // Rewrite it as version 2 wrote it: no referenceBlobs on any turn, the digest of that.
    const unpacked = join(dir, 'unpacked');
    await import('node:fs/promises').then((fs) => fs.mkdir(unpacked));
    await extractTar({ file, cwd: unpacked });
    const manifest = JSON.parse(await readFile(join(unpacked, 'manifest.json'), 'utf8')) as Record<string, unknown> & { turns: Record<string, unknown>[] };
    for (const t of manifest.turns) delete t.referenceBlobs;
    manifest.version = 2;
    manifest.digest = manifestDigest(manifest);
    await writeFile(join(unpacked, 'manifest.json'), JSON.stringify(manifest));
    const older = join(dir, 'v2.kontext.tgz');
    const { readdir } = await import('node:fs/promises');
    const blobNames = (await readdir(join(unpacked, 'blobs'))).map((n) => `blobs/${n}`);
    await createTar({ file: older, gzip: true, cwd: unpacked, portable: true, noDirRecurse: true }, ['manifest.json', ...blobNames]);

    const target = makeEngine();
    await target.engine.importBundle(older);
    expect((await target.engine.getTurn(turn.id)).referenceBlobs).toEqual([]);
  });
});

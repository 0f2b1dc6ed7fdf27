import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../src/blobs/S3BlobStore.js';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { openEngine } from '../../src/engine/openEngine.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { collectGarbage } from '../../src/engine/collectGarbage.js';
import { IntegrityError, NetworkError, NotFoundError, ValidationError } from '../../src/errors/index.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';
import { S3_TEST_CREDENTIALS, startS3TestServer, type S3TestServer } from '../support/s3TestServer.js';

let s3: S3TestServer;
let store: S3BlobStore;
let client: S3Client;

beforeAll(async () => {
  s3 = await startS3TestServer();
  store = S3BlobStore.connect({ endpoint: s3.endpoint, bucket: s3.bucket, prefix: 'kontext/', ...S3_TEST_CREDENTIALS });
  client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_TEST_CREDENTIALS });
});
afterAll(async () => {
  await store?.close();
  client?.destroy();
  await s3?.close();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function keys(): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

/** Every file s3rver keeps under the bucket's folder, with its modification time. */
function filesOnDisk(): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.set(path, statSync(path).mtimeMs);
    }
  };
  walk(join(s3.directory, s3.bucket));
  return out;
}

describe('S3BlobStore against an S3-compatible server on loopback', () => {
  it('puts under a content address, reads the bytes back verified, and leaves no temporary object', async () => {
    const bytes = Buffer.from(await testImage());
    const { hash, size } = await store.put(bytes);
    expect(hash).toBe(sha256(bytes));
    expect(size).toBe(bytes.length);
    expect(await store.has(hash)).toBe(true);
    expect((await store.get(hash)).equals(bytes)).toBe(true);
    expect(await keys()).toContain(`kontext/blobs/${hash.slice(0, 2)}/${hash}`);
    expect((await keys()).filter((k) => k.includes('/tmp/'))).toEqual([]);
    expect(store.localPath()).toBeUndefined();
  });

  it('a put of bytes already there never overwrites the object', async () => {
    const bytes = Buffer.from('the same bytes twice');
    const { hash } = await store.put(bytes);
    const before = filesOnDisk();
    await new Promise((r) => setTimeout(r, 20));
    expect((await store.put(bytes)).hash).toBe(hash);
    const after = filesOnDisk();
    for (const [path, mtime] of before) if (path.includes(hash)) expect(after.get(path), path).toBe(mtime);
  });

  it('streams a large image in parts (12 MiB, past the 5 MiB part size) and verifies it on read', async () => {
    const part = Buffer.alloc(1024 * 1024);
    const chunks = Array.from({ length: 12 }, (_, i) => Buffer.from(part.map((_, j) => (i * 31 + j) % 251)));
    async function* feed() {
      for (const c of chunks) yield c;
    }
    const { hash, size } = await store.putStream(feed(), { maxBytes: 20 * 1024 * 1024 });
    const whole = Buffer.concat(chunks);
    expect(size).toBe(whole.length);
    expect(hash).toBe(sha256(whole));
    expect((await store.get(hash)).equals(whole)).toBe(true);
  }, 60_000);

  it('refuses a stream over maxBytes and keeps nothing of it', async () => {
    const before = await keys();
    async function* feed() {
      yield Buffer.alloc(600, 1);
      yield Buffer.alloc(600, 2);
    }
    await expect(store.putStream(feed(), { maxBytes: 1000 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await keys()).toEqual(before);
  });

  it('a missing blob is NotFoundError, a bad hash ValidationError, changed bytes IntegrityError', async () => {
    await expect(store.get('0'.repeat(64))).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.get('../etc/passwd')).rejects.toBeInstanceOf(ValidationError);
    const { hash } = await store.put(Buffer.from('original bytes'));
    const file = [...filesOnDisk().keys()].find((p) => p.includes(hash) && p.endsWith('._S3rver_object'))!;
    writeFileSync(file, Buffer.from('tampered bytes'));
    await expect(store.get(hash)).rejects.toBeInstanceOf(IntegrityError);
    expect(readFileSync(file, 'utf8')).toBe('tampered bytes');
  });

  it('a bucket that cannot be reached is a NetworkError that names the bucket and not the secret', async () => {
    const secret = 'do-not-show-this-secret-0123456789';
    const unreachable = S3BlobStore.connect({ endpoint: 'http://127.0.0.1:9', bucket: 'kontext-test', accessKeyId: 'AKIDTEST', secretAccessKey: secret });
    try {
      const error = await unreachable.put(Buffer.from('x')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as Error).message).toContain("bucket 'kontext-test'");
      expect(JSON.stringify({ message: (error as Error).message, details: (error as NetworkError).details })).not.toContain(secret);
    } finally {
      await unreachable.close();
    }
  });

  it.each(['ab', 'x'.repeat(64), 'Upper-Case', 'under_score'])('refuses the bucket name %j with the rule', (bucket) => {
    expect(() => S3BlobStore.connect({ endpoint: s3.endpoint, bucket, ...S3_TEST_CREDENTIALS })).toThrow(/3-63 lower-case letters/);
  });

  it('an engine archives its session in the bucket: the root and each edit’s output are objects there', async () => {
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: store, providers: [createLocalProvider()] });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const turn = await engine.edit(session.id, 'make it red', { seed: 1 });
    expect(turn.status).toBe('succeeded');
    const all = await keys();
    expect(all).toContain(`kontext/blobs/${turn.inputBlob!.slice(0, 2)}/${turn.inputBlob}`);
    expect(all).toContain(`kontext/blobs/${turn.outputs[0]!.blobHash.slice(0, 2)}/${turn.outputs[0]!.blobHash}`);
    // The archive, not the provider, is what the next edit reads: the same bytes as in memory would be.
    const memory = new MemoryBlobStore();
    expect((await memory.put(await store.get(turn.outputs[0]!.blobHash))).hash).toBe(turn.outputs[0]!.blobHash);
  });

  it('openEngine archives in the bucket it is given, writes no image folder, and leaves the store open', async () => {
    const dataDir = testTempDir('kontext-s3-engine-');
    const opened = openEngine({ dataDir, provider: 'local', blobs: store, env: {} });
    const session = await opened.engine.startSession({ image: { bytes: await testImage(40, 30) } });
    const turn = await opened.engine.edit(session.id, 'make it blue', { seed: 5 });
    await opened.close();
    expect(await keys()).toContain(`kontext/blobs/${turn.outputs[0]!.blobHash.slice(0, 2)}/${turn.outputs[0]!.blobHash}`);
    expect(existsSync(join(dataDir, 'blobs'))).toBe(false);
    expect(await store.has(turn.outputs[0]!.blobHash)).toBe(true);
  });

  it('archive collection lists the bucket, deletes an unreferenced blob and an old temporary upload, and keeps what a turn refers to', async () => {
    // A prefix of its own: the other tests' objects are not this store's to collect.
    const archive = S3BlobStore.connect({ endpoint: s3.endpoint, bucket: s3.bucket, prefix: 'gc-test/', ...S3_TEST_CREDENTIALS });
    try {
      const sessions = SessionStore.inMemory();
      const engine = new SessionEngine({ store: sessions, blobs: archive, providers: [createLocalProvider()] });
      const session = await engine.startSession({ image: { bytes: await testImage() } });
      const kept = await engine.edit(session.id, 'make it red', { seed: 1 });
      const gone = await engine.edit(session.id, 'make it night', { seed: 2 });
      await engine.deleteSubtree(session.id, gone.id);
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'gc-test/tmp/killed-upload', Body: Buffer.alloc(300) }));
      const listed = [];
      for await (const blob of archive.list()) listed.push(blob.hash);
      expect(listed.sort()).toEqual([kept.inputBlob!, kept.outputs[0]!.blobHash, gone.outputs[0]!.blobHash].sort());
      // A delete that a put raced (its object is newer than the time given) leaves the object.
      expect(await archive.delete(gone.outputs[0]!.blobHash, { ifLastPutBefore: Date.now() - 60 * 60 * 1000 })).toBe(false);

      // Two hours on: every object is past the grace period.
      const report = await collectGarbage({ store: sessions, blobs: archive, now: () => Date.now() + 2 * 60 * 60 * 1000 }, { dryRun: false });
      expect(report.blobs.hashes).toEqual([gone.outputs[0]!.blobHash]);
      expect(report.temporary).toEqual({ count: 1, bytes: 300 });
      const left = await keys();
      expect(left.filter((k) => k.startsWith('gc-test/')).sort()).toEqual([kept.inputBlob!, kept.outputs[0]!.blobHash].map((h) => `gc-test/blobs/${h.slice(0, 2)}/${h}`).sort());
      expect(sha256(await archive.get(kept.outputs[0]!.blobHash))).toBe(kept.outputs[0]!.blobHash);
    } finally {
      await archive.close();
    }
  });
});

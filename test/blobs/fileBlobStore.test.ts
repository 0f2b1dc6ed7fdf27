import { createHash } from 'node:crypto';
import { readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobTooLargeError } from '../../src/blobs/BlobTooLargeError.js';
import { FileBlobStore, STALE_TEMP_FILE_MS } from '../../src/blobs/FileBlobStore.js';
import { IntegrityError } from '../../src/errors/index.js';
import { testTempDir } from '../support/testTempDir.js';

const tempRoot = () => testTempDir('kontext-blobs-');

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const tempFiles = (root: string) => readdirSync(root).filter((n) => n.startsWith('.tmp-'));

describe('FileBlobStore', () => {
  it('stores streamed chunks under their sha256 and reads them back verified', async () => {
    const root = tempRoot();
    const blobs = new FileBlobStore(root);
    const parts = [Buffer.from('hello '), Buffer.alloc(300_000, 7), Buffer.from(' world')];
    const { hash, size } = await blobs.putStream(parts);
    expect(hash).toBe(sha256(Buffer.concat(parts)));
    expect(size).toBe(300_012);
    expect(await blobs.get(hash)).toEqual(Buffer.concat(parts));
    expect(blobs.localPath(hash)).toBe(join(root, hash.slice(0, 2), hash.slice(2)));
    // The same bytes again: the same blob, and no temp file left behind.
    expect(await blobs.put(Buffer.concat(parts))).toEqual({ hash, size });
    expect(tempFiles(root)).toEqual([]);
  });

  it('refuses more than maxBytes and keeps nothing', async () => {
    const root = tempRoot();
    const blobs = new FileBlobStore(root);
    await expect(blobs.putStream([Buffer.alloc(10), Buffer.alloc(10)], { maxBytes: 15 })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(readdirSync(root)).toEqual([]);
  });

  it('keeps nothing when the source fails mid-stream (a dropped download), and reports its error', async () => {
    const root = tempRoot();
    const blobs = new FileBlobStore(root);
    const dropped = new Error('socket hang up');
    async function* download() {
      yield Buffer.alloc(64_000, 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw dropped;
    }
    await expect(blobs.putStream(download())).rejects.toBe(dropped);
    expect(readdirSync(root)).toEqual([]);
    // The store still works afterwards.
    const { hash } = await blobs.put(Buffer.from('after'));
    expect(await blobs.get(hash)).toEqual(Buffer.from('after'));
  });

  it('makes the shard folder again if it vanished after the first write into it', async () => {
    const root = tempRoot();
    const blobs = new FileBlobStore(root);
    const first = await blobs.put(Buffer.from('a'));
    rmSync(join(root, first.hash.slice(0, 2)), { recursive: true });
    // Different bytes whose hash falls in the same shard.
    let other = Buffer.from('b');
    for (let i = 0; sha256(other).slice(0, 2) !== first.hash.slice(0, 2); i++) other = Buffer.from(`b${i}`);
    const second = await blobs.put(other);
    expect(await blobs.get(second.hash)).toEqual(other);
  });

  it('reports a blob whose bytes changed on disk', async () => {
    const blobs = new FileBlobStore(tempRoot());
    const { hash } = await blobs.put(Buffer.from('original'));
    writeFileSync(blobs.localPath(hash)!, 'tampered');
    await expect(blobs.get(hash)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('sweeps temp files of writes that died, but not recent ones that may be live', async () => {
    const root = tempRoot();
    const now = Date.now();
    writeFileSync(join(root, '.tmp-dead'), 'partial');
    writeFileSync(join(root, '.tmp-live'), 'partial');
    const old = (now - STALE_TEMP_FILE_MS - 60_000) / 1000;
    utimesSync(join(root, '.tmp-dead'), old, old);
    const blobs = new FileBlobStore(root, { now: () => now });
    expect(await blobs.sweepStaleTemporaryFiles()).toBe(1);
    expect(tempFiles(root)).toEqual(['.tmp-live']);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../errors/IntegrityError.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import { ValidationError } from '../errors/ValidationError.js';
import { BlobTooLargeError } from './BlobTooLargeError.js';
import { SHA256_HEX, type BlobStore } from './BlobStore.js';

export const DEFAULT_MAX_BLOB_BYTES = 50 * 1024 * 1024;

/** Temp names: pid and a random part fixed per process (pids are reused), then a counter. */
const TEMP_PREFIX = `${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
let tempCounter = 0;

/** A temp file this old belongs to a write that died (a killed process): no live write takes an hour. */
export const STALE_TEMP_FILE_MS = 60 * 60 * 1000;

/**
 * Content-addressed files under `<root>/<ab>/<cdef…>`. Writes go to a temporary file in
 * the same folder and are renamed into place, so a crash never leaves a partial blob
 * under a real hash.
 */
export class FileBlobStore implements BlobStore {
  private readonly shards = new Set<string>();
  private swept = false;

  constructor(
    readonly root: string,
    private readonly options: { now?: () => number } = {},
  ) {
    mkdirSync(root, { recursive: true });
  }

  /**
   * Deletes `.tmp-*` files left by writes that never finished (a process killed mid-write),
   * once they are older than `olderThanMs`: younger ones may be another process's live write.
   * Runs by itself, in the background, on a store's first write. Returns how many went.
   */
  async sweepStaleTemporaryFiles(olderThanMs = STALE_TEMP_FILE_MS): Promise<number> {
    const cutoff = (this.options.now ?? Date.now)() - olderThanMs;
    let removed = 0;
    for (const name of await readdir(this.root)) {
      if (!name.startsWith('.tmp-')) continue;
      const path = join(this.root, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs < cutoff && (await rm(path, { force: true }).then(() => true, () => false))) removed++;
    }
    return removed;
  }

  localPath(hash: string): string | undefined {
    return SHA256_HEX.test(hash) ? join(this.root, hash.slice(0, 2), hash.slice(2)) : undefined;
  }

  async has(hash: string): Promise<boolean> {
    const path = this.localPath(hash);
    return path !== undefined && existsSync(path);
  }

  async put(bytes: Uint8Array): Promise<{ hash: string; size: number }> {
    return this.putStream([bytes], { maxBytes: Number.MAX_SAFE_INTEGER });
  }

  async putStream(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: { maxBytes?: number } = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
    if (!this.swept) {
      this.swept = true;
      void this.sweepStaleTemporaryFiles().catch(() => undefined);
    }
    // Unique per process and write; the pid keeps two processes sharing the folder apart.
    const tmp = join(this.root, `.tmp-${TEMP_PREFIX}-${(++tempCounter).toString(36)}`);
    // Written with synchronous calls, as the store writes SQLite: each is a copy into the
    // page cache or a metadata change, cheaper than a round trip through libuv's thread pool.
    // Only the chunks arrive asynchronously, from the network.
    const file = openSync(tmp, 'wx');
    const hasher = createHash('sha256');
    let size = 0;
    let closed = false;
    try {
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hasher.update(chunk);
        for (let offset = 0; offset < chunk.byteLength; ) offset += writeSync(file, chunk, offset);
      }
      closed = true;
      closeSync(file);
      const hash = hasher.digest('hex');
      const path = this.localPath(hash)!;
      if (existsSync(path)) rmSync(tmp, { force: true });
      else this.moveIntoShard(tmp, path, hash.slice(0, 2));
      return { hash, size };
    } catch (error) {
      if (!closed) closeQuietly(file);
      rmSync(tmp, { force: true });
      throw error;
    }
  }

  /**
   * Renames the finished temp file into `<root>/<ab>/`. The shard folder is made once per
   * store, not once per write; if it vanished meanwhile, it is made again.
   */
  private moveIntoShard(tmp: string, path: string, shard: string): void {
    if (!this.shards.has(shard)) {
      mkdirSync(join(this.root, shard), { recursive: true });
      this.shards.add(shard);
    }
    try {
      renameSync(tmp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync(tmp)) throw error;
      mkdirSync(join(this.root, shard), { recursive: true });
      renameSync(tmp, path);
    }
  }

  async get(hash: string): Promise<Buffer> {
    const path = this.localPath(hash);
    if (!path) throw new ValidationError([{ field: 'hash', message: `'${hash}' is not a sha256 hex digest (64 characters 0-9a-f)` }]);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      throw new NotFoundError('blob', hash);
    }
    if (createHash('sha256').update(bytes).digest('hex') !== hash) {
      throw new IntegrityError(`blob ${hash} is corrupt: its bytes no longer match its hash`, { hash });
    }
    return bytes;
  }
}

/** Closes a descriptor on a path that is already failing: the first error is the one to report. */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // ignored: see above
  }
}

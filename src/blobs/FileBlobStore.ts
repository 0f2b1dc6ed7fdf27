import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, utimesSync, writeSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../errors/IntegrityError.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import { ValidationError } from '../errors/ValidationError.js';
import { BlobTooLargeError } from './BlobTooLargeError.js';
import { SHA256_HEX, type ArchivedBlob, type BlobStore, type TemporaryEntry } from './BlobStore.js';

export const DEFAULT_MAX_BLOB_BYTES = 50 * 1024 * 1024;

/** Temp names: pid and a random part fixed per process (pids are reused), then a counter. */
const TEMP_PREFIX = `${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
let tempCounter = 0;

/** A temp file this old belongs to a write that died (a killed process): no live write takes an hour. */
export const STALE_TEMP_FILE_MS = 60 * 60 * 1000;

const TEMP_FILE = '.tmp-';
/** Where `delete` holds a blob while it checks no put raced it: `.gc-<hash>-<random>`. */
const HELD_FILE = '.gc-';
const SHARD_RE = /^[0-9a-f]{2}$/;
const REST_RE = /^[0-9a-f]{62}$/;

/**
 * Content-addressed files under `<root>/<ab>/<cdef…>`. Writes go to a temporary file in
 * the same folder and are renamed into place, so a crash never leaves a partial blob
 * under a real hash.
 */
export class FileBlobStore implements BlobStore {
  private readonly shards = new Set<string>();
  /** The sweep of stale temp files that the first write starts; later writes find it done. */
  private sweep: Promise<number> | undefined;

  constructor(
    readonly root: string,
    private readonly options: { now?: () => number } = {},
  ) {
    mkdirSync(root, { recursive: true });
  }

  /**
   * Deletes `.tmp-*` files left by writes that never finished (a process killed mid-write),
   * once they are older than `olderThanMs`: younger ones may be another process's live write.
   * Runs by itself on a store's first write, which waits for it. Returns how many went.
   */
  async sweepStaleTemporaryFiles(olderThanMs = STALE_TEMP_FILE_MS): Promise<number> {
    const cutoff = (this.options.now ?? Date.now)() - olderThanMs;
    let removed = 0;
    for await (const entry of this.listTemporary()) if (entry.modifiedAt < cutoff && (await this.deleteTemporary(entry.name))) removed++;
    return removed;
  }

  async *listTemporary(): AsyncGenerator<TemporaryEntry> {
    for (const name of await readdir(this.root)) {
      if (!name.startsWith(TEMP_FILE)) continue;
      const info = await stat(join(this.root, name)).catch(() => undefined);
      if (info?.isFile()) yield { name, size: info.size, modifiedAt: info.mtimeMs };
    }
  }

  async deleteTemporary(name: string): Promise<boolean> {
    if (!name.startsWith(TEMP_FILE) || name.includes('/') || name.includes('\\')) return false;
    return rm(join(this.root, name)).then(() => true, () => false);
  }

  /**
   * Every `<ab>/<cdef…>` file, its size and modification time, which is when its bytes were
   * last put (a put of bytes already there touches it). Blobs a killed `delete` left held aside
   * go back to their place first: that delete never finished deciding.
   */
  async *list(): AsyncGenerator<ArchivedBlob> {
    const top = await readdir(this.root);
    for (const name of top) if (name.startsWith(HELD_FILE)) await this.unhold(name);
    for (const shard of top) {
      if (!SHARD_RE.test(shard)) continue;
      const names = await readdir(join(this.root, shard)).catch(() => [] as string[]);
      for (const rest of names) {
        if (!REST_RE.test(rest)) continue;
        const info = await stat(join(this.root, shard, rest)).catch(() => undefined);
        if (info?.isFile()) yield { hash: shard + rest, size: info.size, lastPutAt: info.mtimeMs };
      }
    }
  }

  /**
   * Deletes a blob unless a put touched it at or after `ifLastPutBefore`. The file is first
   * renamed aside (one atomic step): from then on a put cannot find it and writes it anew, and
   * a put that found it just before has already touched it, which the check then sees, and the
   * file goes back. A put that found it but had not touched it yet gets ENOENT from the touch
   * and writes it anew (see putStream). So no put ever returns a hash whose file this deletes.
   */
  async delete(hash: string, options: { ifLastPutBefore?: number } = {}): Promise<boolean> {
    const path = this.localPath(hash);
    if (!path) return false;
    const held = join(this.root, `${HELD_FILE}${hash}-${randomBytes(4).toString('hex')}`);
    try {
      await rename(path, held);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    const info = await stat(held);
    if (options.ifLastPutBefore !== undefined && info.mtimeMs >= options.ifLastPutBefore) {
      // Replaces a copy a put wrote meanwhile, if any: the same hash is the same bytes.
      await rename(held, path);
      return false;
    }
    await rm(held, { force: true });
    return true;
  }

  /** Puts a held-aside blob (`.gc-<hash>-<random>`) back, or drops it when its place is filled again. */
  private async unhold(name: string): Promise<void> {
    const hash = name.slice(HELD_FILE.length, HELD_FILE.length + 64);
    const path = this.localPath(hash);
    if (!path) return;
    if (existsSync(path)) await rm(join(this.root, name), { force: true });
    else await rename(join(this.root, name), path).catch(() => undefined);
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
    // The first write waits for the sweep (one directory read), so the sweep is over before
    // anything the caller does next, and never races a later collection over the same files.
    await (this.sweep ??= this.sweepStaleTemporaryFiles().catch(() => 0));
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
      if (touched(path)) rmSync(tmp, { force: true });
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

/**
 * Marks bytes already in the archive as put now, so archive collection sees them as fresh
 * (a running turn is about to record them); false when there is no such file (any more).
 */
function touched(path: string): boolean {
  try {
    const now = new Date();
    utimesSync(path, now, now);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
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

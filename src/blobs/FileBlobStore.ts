import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../errors/IntegrityError.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import { ValidationError } from '../errors/ValidationError.js';
import { BlobTooLargeError } from './BlobTooLargeError.js';
import { SHA256_HEX, type BlobStore } from './BlobStore.js';

export const DEFAULT_MAX_BLOB_BYTES = 50 * 1024 * 1024;

/**
 * Content-addressed files under `<root>/<ab>/<cdef…>`. Writes go to a temporary file in
 * the same folder and are renamed into place, so a crash never leaves a partial blob
 * under a real hash.
 */
export class FileBlobStore implements BlobStore {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
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
    const tmp = join(this.root, `.tmp-${randomBytes(8).toString('hex')}`);
    const out = createWriteStream(tmp);
    const hasher = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hasher.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const hash = hasher.digest('hex');
      const path = this.localPath(hash)!;
      if (existsSync(path)) {
        await rm(tmp, { force: true });
      } else {
        mkdirSync(join(this.root, hash.slice(0, 2)), { recursive: true });
        await rename(tmp, path);
      }
      return { hash, size };
    } catch (error) {
      out.destroy();
      await rm(tmp, { force: true });
      throw error;
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

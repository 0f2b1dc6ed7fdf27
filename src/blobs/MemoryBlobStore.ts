import { createHash } from 'node:crypto';
import { NotFoundError } from '../errors/NotFoundError.js';
import { BlobTooLargeError } from './BlobTooLargeError.js';
import type { BlobStore } from './BlobStore.js';
import { DEFAULT_MAX_BLOB_BYTES } from './FileBlobStore.js';

/** Blobs in a Map: for tests and throwaway in-memory sessions. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();

  localPath(): string | undefined {
    return undefined;
  }

  async has(hash: string): Promise<boolean> {
    return this.blobs.has(hash);
  }

  async put(bytes: Uint8Array) {
    return this.putStream([bytes], { maxBytes: Number.MAX_SAFE_INTEGER });
  }

  async putStream(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: { maxBytes?: number } = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of chunks) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
      parts.push(Buffer.from(chunk));
    }
    const bytes = Buffer.concat(parts);
    const hash = createHash('sha256').update(bytes).digest('hex');
    this.blobs.set(hash, bytes);
    return { hash, size };
  }

  async get(hash: string): Promise<Buffer> {
    const bytes = this.blobs.get(hash);
    if (!bytes) throw new NotFoundError('blob', hash);
    return bytes;
  }
}

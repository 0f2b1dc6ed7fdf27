import { createHash } from 'node:crypto';
import { NotFoundError } from '../errors/NotFoundError.js';
import { BlobTooLargeError } from './BlobTooLargeError.js';
import type { ArchivedBlob, BlobStore, TemporaryEntry } from './BlobStore.js';
import { DEFAULT_MAX_BLOB_BYTES } from './FileBlobStore.js';

/** Blobs in a Map: for tests and throwaway in-memory sessions. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, { bytes: Buffer; lastPutAt: number }>();

  constructor(private readonly options: { now?: () => number } = {}) {}

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
    // A put of bytes already here counts as a put: archive collection keeps them (see BlobStore.delete).
    this.blobs.set(hash, { bytes, lastPutAt: this.now() });
    return { hash, size };
  }

  async get(hash: string): Promise<Buffer> {
    const blob = this.blobs.get(hash);
    if (!blob) throw new NotFoundError('blob', hash);
    return blob.bytes;
  }

  async *list(): AsyncGenerator<ArchivedBlob> {
    for (const [hash, { bytes, lastPutAt }] of [...this.blobs]) yield { hash, size: bytes.length, lastPutAt };
  }

  /** Check and delete in one synchronous step: no put can come in between. */
  async delete(hash: string, options: { ifLastPutBefore?: number } = {}): Promise<boolean> {
    const blob = this.blobs.get(hash);
    if (!blob || (options.ifLastPutBefore !== undefined && blob.lastPutAt >= options.ifLastPutBefore)) return false;
    return this.blobs.delete(hash);
  }

  /** Writes here are never left half done. */
  async *listTemporary(): AsyncGenerator<TemporaryEntry> {}

  async deleteTemporary(): Promise<boolean> {
    return false;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

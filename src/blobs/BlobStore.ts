/**
 * Where image bytes live, addressed by their sha256. Kept behind this small interface so
 * the filesystem archive can be joined later by an S3-compatible one without touching
 * the engine. Metadata (content type, size, dimensions) lives in the SQL store's `blobs` table.
 */
export interface BlobStore {
  /** Stores the bytes (idempotent) and returns their lower-case hex sha256. */
  put(bytes: Uint8Array): Promise<{ hash: string; size: number }>;
  /**
   * Streams bytes into the archive, hashing as they arrive; refuses (and keeps nothing)
   * once more than `maxBytes` arrive.
   */
  putStream(chunks: AsyncIterable<Uint8Array>, options?: { maxBytes?: number }): Promise<{ hash: string; size: number }>;
  /** The bytes, verified against the hash; throws NotFoundError or IntegrityError. */
  get(hash: string): Promise<Buffer>;
  has(hash: string): Promise<boolean>;
  /** A local file path for the blob where one exists (the CLI's `open`), else undefined. */
  localPath(hash: string): string | undefined;
  /**
   * A URL a client may fetch the bytes from itself for a while (a presigned S3 GET), so the
   * server redirects instead of relaying them; undefined where the store has none or it is off.
   * `contentType` is what the URL should answer with.
   */
  presignedUrl?(hash: string, options: { contentType: string }): Promise<string | undefined>;
  /** Every blob in the archive (for archive collection), in no particular order. */
  list(): AsyncIterable<ArchivedBlob>;
  /**
   * Deletes a blob; with `ifLastPutBefore`, only if its bytes were last put before that time
   * (epoch ms), so a put racing the delete keeps them. True when it was deleted.
   */
  delete(hash: string, options?: { ifLastPutBefore?: number }): Promise<boolean>;
  /** What writes that never finished (a killed process) left behind: temp files or objects. */
  listTemporary(): AsyncIterable<TemporaryEntry>;
  /** Deletes one entry `listTemporary` named; true when it was there. */
  deleteTemporary(name: string): Promise<boolean>;
}

export interface ArchivedBlob {
  hash: string;
  size: number;
  /** When these bytes were last put (epoch ms); a put of bytes already there counts as one. */
  lastPutAt: number;
}

export interface TemporaryEntry {
  name: string;
  size: number;
  modifiedAt: number;
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

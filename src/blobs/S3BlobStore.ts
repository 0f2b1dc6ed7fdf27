import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { IntegrityError } from '../errors/IntegrityError.js';
import { NetworkError } from '../errors/NetworkError.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import { ValidationError } from '../errors/ValidationError.js';
import { SHA256_HEX, type ArchivedBlob, type BlobStore, type TemporaryEntry } from './BlobStore.js';
import { BlobTooLargeError } from './BlobTooLargeError.js';
import { DEFAULT_MAX_BLOB_BYTES } from './FileBlobStore.js';

export interface S3BlobStoreOptions {
  /** The client to use (its endpoint, region, credentials). Closed by `close()` only if the store made it. */
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket, e.g. `kontext/`. Default none. */
  prefix?: string;
  /**
   * Seconds a presigned GET URL stays valid. When set, `/images/{hash}` redirects a client
   * there (after its access check) instead of streaming the bytes through the server; the
   * client then reads them unverified against the hash. Default undefined: no presigning.
   */
  presignSeconds?: number;
}

export interface S3ConnectionOptions {
  /** An S3-compatible endpoint (MinIO, R2, Ceph, s3rver); default AWS for the region. */
  endpoint?: string;
  region?: string;
  bucket: string;
  prefix?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** See {@link S3BlobStoreOptions.presignSeconds}. */
  presignSeconds?: number;
}

/** SigV4 presigned URLs last at most seven days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Bucket names as S3 allows them: 3–63 lower-case letters, digits, dots and hyphens. */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The image archive in an S3-compatible bucket, for a fleet of servers sharing one history.
 * Keys are content addresses (`<prefix>blobs/<ab>/<hash>`), so a put of bytes already there
 * writes nothing, and a finished object is never overwritten. Uploads stream: the bytes go to
 * a temporary key in parts while they are hashed, then are copied to their address. Reads are
 * verified against the hash.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly ownsClient: boolean;
  private readonly presignSeconds: number | undefined;

  constructor(options: S3BlobStoreOptions, ownsClient = false) {
    if (!BUCKET_RE.test(options.bucket)) {
      throw new ValidationError([{ field: 'bucket', message: `${JSON.stringify(options.bucket)} is not a bucket name; use 3-63 lower-case letters, digits, '.' and '-'` }]);
    }
    const seconds = options.presignSeconds;
    if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS)) {
      throw new ValidationError([{ field: 'presignSeconds', message: `${String(seconds)} is not allowed; allowed: a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS} (seven days)` }]);
    }
    this.presignSeconds = seconds;
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.ownsClient = ownsClient;
  }

  /**
   * A store with its own client, path-style (so any S3-compatible endpoint works). The
   * credentials live only in the client: no error or log line of this store shows them.
   */
  static connect(options: S3ConnectionOptions): S3BlobStore {
    const config: S3ClientConfig = {
      region: options.region ?? 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    };
    return new S3BlobStore({ client: new S3Client(config), bucket: options.bucket, prefix: options.prefix, presignSeconds: options.presignSeconds }, true);
  }

  localPath(): undefined {
    return undefined;
  }

  async has(hash: string): Promise<boolean> {
    if (!SHA256_HEX.test(hash)) return false;
    return this.exists(this.keyOf(hash));
  }

  async put(bytes: Uint8Array): Promise<{ hash: string; size: number }> {
    return this.putStream([bytes], { maxBytes: Number.MAX_SAFE_INTEGER });
  }

  async putStream(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: { maxBytes?: number } = {}): Promise<{ hash: string; size: number }> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
    const temp = `${this.prefix}tmp/${randomBytes(12).toString('hex')}`;
    const hasher = createHash('sha256');
    const body = new PassThrough();
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: temp, Body: body } });
    const uploaded = upload.done();
    // Until the feed below settles, a failed upload is reported through it, not as an unhandled rejection.
    uploaded.catch(() => undefined);
    let size = 0;
    try {
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hasher.update(chunk);
        if (!body.write(chunk)) await new Promise<void>((resolve) => body.once('drain', resolve));
      }
      body.end();
      await this.call('upload', () => uploaded);
    } catch (error) {
      body.destroy();
      await upload.abort().catch(() => undefined);
      await this.deleteQuietly(temp);
      throw error;
    }
    const hash = hasher.digest('hex');
    const key = this.keyOf(hash);
    try {
      // Never overwrite: an address that exists already holds these very bytes.
      if (!(await this.exists(key))) {
        await this.call('copy', () => this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: `${this.bucket}/${temp.split('/').map(encodeURIComponent).join('/')}`, IfNoneMatch: '*' })), [412]);
      }
    } finally {
      await this.deleteQuietly(temp);
    }
    return { hash, size };
  }

  async get(hash: string): Promise<Buffer> {
    if (!SHA256_HEX.test(hash)) throw new ValidationError([{ field: 'hash', message: `'${hash}' is not a sha256 hex digest (64 characters 0-9a-f)` }]);
    const answer = await this.call('get', () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash) })), [404]);
    if (!answer?.Body) throw new NotFoundError('blob', hash);
    const bytes = Buffer.from(await answer.Body.transformToByteArray());
    if (createHash('sha256').update(bytes).digest('hex') !== hash) {
      throw new IntegrityError(`blob ${hash} is corrupt: its bytes in the bucket no longer match its hash`, { hash });
    }
    return bytes;
  }

  /**
   * A presigned GET of the blob, valid `presignSeconds`, answering with `contentType` (the
   * object itself was stored without one); undefined when presigning is off. Signed locally:
   * no request is sent, and the URL names the access key id, never the secret.
   */
  async presignedUrl(hash: string, options: { contentType: string }): Promise<string | undefined> {
    if (this.presignSeconds === undefined) return undefined;
    if (!SHA256_HEX.test(hash)) throw new ValidationError([{ field: 'hash', message: `'${hash}' is not a sha256 hex digest (64 characters 0-9a-f)` }]);
    // Loaded on the first redirect: a store that never presigns never loads the signer.
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash), ResponseContentType: options.contentType });
    return getSignedUrl(this.client, command, { expiresIn: this.presignSeconds });
  }

  async *list(): AsyncGenerator<ArchivedBlob> {
    for await (const object of this.objectsUnder(`${this.prefix}blobs/`)) {
      const hash = object.key.slice(object.key.lastIndexOf('/') + 1);
      if (SHA256_HEX.test(hash) && object.key === this.keyOf(hash)) yield { hash, size: object.size, lastPutAt: object.modifiedAt };
    }
  }

  /**
   * Deletes a blob unless its object was written at or after `ifLastPutBefore`. Unlike the file
   * archive, a put of bytes already in the bucket does not rewrite the object (it is never
   * overwritten), and S3 has no delete conditional on age: the check (HEAD) and the delete are
   * two requests. So an old unreferenced blob that a running turn produces again, byte for byte,
   * while it is being collected can be lost here; new bytes are protected as in the file archive.
   */
  async delete(hash: string, options: { ifLastPutBefore?: number } = {}): Promise<boolean> {
    if (!SHA256_HEX.test(hash)) return false;
    const key = this.keyOf(hash);
    const head = await this.call('head', () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })), [404]);
    if (!head) return false;
    if (options.ifLastPutBefore !== undefined && (head.LastModified?.getTime() ?? Number.POSITIVE_INFINITY) >= options.ifLastPutBefore) return false;
    await this.call('delete', () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    return true;
  }

  /** Objects under `<prefix>tmp/`: uploads whose process died before it copied them into place. */
  async *listTemporary(): AsyncGenerator<TemporaryEntry> {
    for await (const object of this.objectsUnder(`${this.prefix}tmp/`)) yield { name: object.key, size: object.size, modifiedAt: object.modifiedAt };
  }

  async deleteTemporary(name: string): Promise<boolean> {
    if (!name.startsWith(`${this.prefix}tmp/`)) return false;
    await this.call('delete', () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: name })));
    return true;
  }

  /** Closes the client if this store made it (`connect`); a client passed in stays yours. */
  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private keyOf(hash: string): string {
    return `${this.prefix}blobs/${hash.slice(0, 2)}/${hash}`;
  }

  /** Every object under `prefix`, a page (up to 1,000) at a time. */
  private async *objectsUnder(prefix: string): AsyncGenerator<{ key: string; size: number; modifiedAt: number }> {
    let token: string | undefined;
    do {
      const page = await this.call('list', () => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token })));
      for (const object of page?.Contents ?? []) {
        if (object.Key) yield { key: object.Key, size: object.Size ?? 0, modifiedAt: object.LastModified?.getTime() ?? 0 };
      }
      token = page?.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async exists(key: string): Promise<boolean> {
    const head = await this.call('head', () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })), [404]);
    return head !== undefined;
  }

  private async deleteQuietly(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => undefined);
  }

  /**
   * Runs one request; the statuses in `absent` (404: no such object, 412: already there) are
   * answered `undefined`, anything else becomes a NetworkError naming the bucket and the
   * operation, never the credentials.
   */
  private async call<T>(operation: string, send: () => Promise<T>, absent: readonly number[] = []): Promise<T | undefined> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof BlobTooLargeError) throw error;
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
      if (status !== undefined && absent.includes(status)) return undefined;
      const what = error instanceof S3ServiceException ? `${error.name}${status ? ` (HTTP ${status})` : ''}` : error instanceof Error ? error.message : String(error);
      throw new NetworkError(`the image archive (bucket '${this.bucket}') refused ${operation}: ${what}`, { cause: error });
    }
  }
}

import { BlobTooLargeError } from '../../blobs/BlobTooLargeError.js';
import { DEFAULT_MAX_BLOB_BYTES } from '../../blobs/FileBlobStore.js';
import { IntegrityError } from '../../errors/IntegrityError.js';
import { NetworkError } from '../../errors/NetworkError.js';
import { NotFoundError } from '../../errors/NotFoundError.js';
import { ProviderError } from '../../errors/ProviderError.js';
import { TimeoutError } from '../../errors/TimeoutError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import { isDataUri, parseDataUri } from '../../util/dataUri.js';
import { ACCEPTED_IMAGE_TYPES, sniffImageType } from '../../util/imageType.js';
import type { CallOptions, DownloadedImage } from '../Provider.js';
import { transportErrorCode } from './retry.js';
import { discard, header, type FalHttp, type HttpOptions } from './transport.js';

/** Enough bytes for every signature `sniffImageType` knows. */
const SNIFF_BYTES = 16;

export interface DownloadOptions extends CallOptions {
  /** Refuse images larger than this. Default 50 MiB (the archive's limit). */
  maxBytes?: number;
}

/**
 * Opens an output image for archiving: an http(s) URL (streamed, without the key — fal's
 * CDN URLs are public and a CDN has no business seeing it) or a data URI (sync mode).
 * Refuses what is not an image — both the declared type (`Content-Type: image/*`) and the
 * first bytes must say so — and anything larger than `maxBytes`, early when
 * `Content-Length` tells, else as soon as the stream passes the limit.
 *
 * @throws NotFoundError when the URL is gone (404/410: fal's URLs expire), BlobTooLargeError,
 *   ProviderError (not image/*), IntegrityError (the bytes are not an image), ValidationError (not a URL)
 */
export async function downloadImage(http: FalHttp<HttpOptions>, url: string, options: DownloadOptions = {}): Promise<DownloadedImage> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  if (isDataUri(url)) return fromDataUri(url, maxBytes);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError([{ field: 'url', message: `${JSON.stringify(url.slice(0, 60))} is not an http(s) URL or a data URI` }]);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ValidationError([{ field: 'url', message: `${parsed.protocol} URLs are not downloaded; allowed: http, https, data` }]);
  }
  // Signed URLs carry tokens in the query: keep them out of messages.
  const shown = `${parsed.origin}${parsed.pathname}`;
  return http.send(
    {
      operation: `download of ${shown}`,
      method: 'GET',
      url,
      headers: { accept: 'image/*' },
      auth: false,
      policy: http.options.readRetry,
      signal: options.signal,
      timeoutPhase: 'download',
      accept: [404, 410],
    },
    async (reply) => {
      if (reply.status === 404 || reply.status === 410) {
        await reply.body.dump();
        throw new NotFoundError('output image', shown, `output image ${shown} is gone (HTTP ${reply.status}); ${http.identity.label}'s URLs expire, so archive outputs promptly`);
      }
      const declared = (header(reply.headers, 'content-type') ?? '').trim();
      if (!/^image\//i.test(declared)) {
        throw new ProviderError(`${shown} is not an image: Content-Type is ${declared ? JSON.stringify(declared) : 'missing'}; expected image/*`, { status: reply.status });
      }
      const length = Number(header(reply.headers, 'content-length'));
      if (Number.isFinite(length) && length > maxBytes) throw new BlobTooLargeError(maxBytes);
      const chunks = reply.body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
      const headParts: Uint8Array[] = [];
      let headSize = 0;
      while (headSize < SNIFF_BYTES) {
        const next = await chunks.next();
        if (next.done) break;
        headParts.push(next.value);
        headSize += next.value.byteLength;
      }
      if (headSize > maxBytes) throw new BlobTooLargeError(maxBytes);
      const head = Buffer.concat(headParts);
      const sniffed = sniffImageType(head);
      if (!sniffed) throw notAnImage(shown, declared);
      return { contentType: sniffed, body: rest(head, chunks, maxBytes, () => discard(reply.body), http.options.responseTimeoutMs) };
    },
  );
}

async function* rest(head: Buffer, chunks: AsyncIterator<Uint8Array>, maxBytes: number, destroy: () => void, timeoutMs: number): AsyncGenerator<Uint8Array> {
  let size = head.byteLength;
  let finished = false;
  try {
    if (head.byteLength > 0) yield head;
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch (error) {
        const code = transportErrorCode(error);
        if (code === 'UND_ERR_BODY_TIMEOUT') throw new TimeoutError('download', timeoutMs, { cause: error });
        throw new NetworkError(`download was cut off after ${size} bytes (${code ?? 'connection lost'})`, { cause: error });
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
      yield next.value;
    }
    finished = true;
  } finally {
    // Also reached when the consumer stops early: free the connection.
    if (!finished) destroy();
  }
}

function fromDataUri(uri: string, maxBytes: number): DownloadedImage {
  // base64 is 4 characters per 3 bytes: refuse before decoding a huge string.
  if (Math.floor((uri.length * 3) / 4) > maxBytes + 1024) throw new BlobTooLargeError(maxBytes);
  const { contentType, bytes } = parseDataUri(uri, 'url');
  if (bytes.byteLength > maxBytes) throw new BlobTooLargeError(maxBytes);
  if (!contentType.startsWith('image/')) throw new ProviderError(`the data URI is not an image: its type is ${JSON.stringify(contentType)}; expected image/*`);
  const sniffed = sniffImageType(bytes.subarray(0, SNIFF_BYTES));
  if (!sniffed) throw notAnImage('the data URI', contentType);
  return {
    contentType: sniffed,
    body: (async function* () {
      yield bytes;
    })(),
  };
}

function notAnImage(what: string, declared: string): IntegrityError {
  return new IntegrityError(`${what} claims to be ${declared} but its bytes are not an image; accepted: ${ACCEPTED_IMAGE_TYPES.join(', ')}`, { declared });
}

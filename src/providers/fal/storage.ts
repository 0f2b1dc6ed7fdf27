import { z } from 'zod';
import { ProviderError } from '../../errors/ProviderError.js';
import type { CallOptions } from '../Provider.js';
import type { FalHttp } from './transport.js';

/** The answer of `POST <storage>/storage/upload/initiate`: where to PUT the bytes, and where they will be served. */
const UploadTarget = z
  .object({
    upload_url: z.string().url().regex(/^https?:/i),
    file_url: z.string().url().regex(/^https?:/i),
  })
  .loose();

export interface UploadOptions extends CallOptions {
  /** The bytes' MIME type, e.g. `image/png`. */
  contentType: string;
  /** Name shown in fal's storage. Default: `<timestamp>.<extension>`. */
  fileName?: string;
}

/**
 * Uploads bytes to fal storage the way @fal-ai/client does (libs/client/src/storage.ts):
 * initiate (authenticated, on the storage API host) → PUT the bytes to the returned
 * pre-signed `upload_url` → the returned `file_url` serves them. The key is not sent with
 * the PUT: the upload URL is signed and may be on another host.
 *
 * @returns the file URL, to use as `image_url`
 */
export async function uploadToFalStorage(http: FalHttp, bytes: Uint8Array, options: UploadOptions): Promise<string> {
  const { storageUrl, readRetry, clock } = http.options;
  const fileName = options.fileName ?? `${clock.now()}.${extensionOf(options.contentType)}`;
  // Initiating twice only leaves an unused upload slot, so it is retried like a read.
  const initiated = await http.json({
    operation: 'upload initiate',
    method: 'POST',
    url: `${storageUrl}/storage/upload/initiate?storage_type=fal-cdn-v3`,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ content_type: options.contentType, file_name: fileName }),
    auth: true,
    policy: readRetry,
    signal: options.signal,
    timeoutPhase: 'upload',
  });
  const target = UploadTarget.safeParse(initiated.body);
  if (!target.success) throw new ProviderError('upload initiate: fal did not return upload_url and file_url', { status: initiated.status, detail: initiated.body });
  await http.send(
    {
      operation: 'upload',
      method: 'PUT',
      url: target.data.upload_url,
      headers: { 'content-type': options.contentType },
      body: bytes,
      auth: false,
      policy: readRetry,
      signal: options.signal,
      timeoutPhase: 'upload',
    },
    async (reply) => {
      await reply.body.dump();
    },
  );
  return target.data.file_url;
}

function extensionOf(contentType: string): string {
  const subtype = contentType.split('/')[1]?.split(/[;+-]/)[0]?.trim();
  return subtype === 'jpeg' ? 'jpg' : subtype || 'bin';
}

import { ValidationError } from '../errors/ValidationError.js';
import type { BlobStore } from './BlobStore.js';

/**
 * The archive `KONTEXT_BLOBS` names: `s3://<bucket>/<prefix>`, with `KONTEXT_S3_ENDPOINT` for a
 * non-AWS endpoint and the standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_REGION`.
 * `KONTEXT_S3_PRESIGN=<seconds>` makes `/images/{hash}` redirect to presigned URLs valid that long.
 * The AWS SDK is loaded only here, when a bucket is asked for.
 */
export async function openBlobStore(url: string, env: Readonly<Record<string, string | undefined>>): Promise<BlobStore & { close(): Promise<void> }> {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url.trim());
  if (!match) throw new ValidationError([{ field: 'KONTEXT_BLOBS', message: `${JSON.stringify(url)} is not allowed; allowed: s3://<bucket>/<prefix>` }]);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new ValidationError([{ field: 'AWS_ACCESS_KEY_ID', message: `${url} needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY` }]);
  }
  const prefix = match[2] ? `${match[2].replace(/\/+$/, '')}/` : '';
  const presign = env.KONTEXT_S3_PRESIGN?.trim();
  if (presign !== undefined && presign !== '' && !(/^\d{1,7}$/.test(presign) && Number(presign) >= 1 && Number(presign) <= 604_800)) {
    throw new ValidationError([{ field: 'KONTEXT_S3_PRESIGN', message: `${JSON.stringify(presign)} is not allowed; allowed: a whole number of seconds (1 to 604800) a presigned image URL stays valid` }]);
  }
  const { S3BlobStore } = await import('./S3BlobStore.js');
  return S3BlobStore.connect({
    bucket: match[1]!,
    prefix,
    endpoint: env.KONTEXT_S3_ENDPOINT,
    region: env.AWS_REGION,
    accessKeyId,
    secretAccessKey,
    ...(presign ? { presignSeconds: Number(presign) } : {}),
  });
}

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openBlobStore } from '../../src/blobs/openBlobStore.js';
import { S3BlobStore } from '../../src/blobs/S3BlobStore.js';
import type { BlobStore } from '../../src/blobs/BlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { ValidationError } from '../../src/errors/index.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { HeadJson } from '../../src/server/schemas.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { S3_TEST_CREDENTIALS, startS3TestServer, type S3TestServer } from '../support/s3TestServer.js';
import { ALICE, BOB, bearer, makeServer, testImage, TOKENS } from './support.js';

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3TestServer();
});
afterAll(async () => {
  await s3?.close();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A server (with tokens) archiving in the test bucket through `blobs`, and one image Alice uploaded. */
async function serverOver(blobs: BlobStore & { close(): Promise<void> }) {
  onTestFinished(() => blobs.close());
  const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs, providers: [createLocalProvider()] });
  onTestFinished(() => engine.close());
  const { app } = makeServer(engine, { tokens: TOKENS });
  const bytes = await testImage(48, 32);
  const res = await app.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png', ...bearer(ALICE) }, body: bytes });
  expect(res.status).toBe(201);
  const hash = HeadJson.parse(await res.json()).head!.outputs[0]!.hash;
  return { app, bytes, hash };
}

const connect = (presignSeconds?: number) =>
  S3BlobStore.connect({ endpoint: s3.endpoint, bucket: s3.bucket, prefix: 'presign/', ...S3_TEST_CREDENTIALS, ...(presignSeconds ? { presignSeconds } : {}) });

describe('GET /images/:hash over S3', () => {
  it('with presigning on, redirects (307) to a presigned URL of the bucket that serves the bytes of that hash, with their type', async () => {
    const { app, hash } = await serverOver(connect(120));
    const res = await app.request(`/images/${hash}`, { headers: bearer(ALICE) });
    expect(res.status).toBe(307);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(s3.endpoint);
    expect(location.pathname).toBe(`/${s3.bucket}/presign/blobs/${hash.slice(0, 2)}/${hash}`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    const followed = await fetch(location);
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toBe('image/png');
    expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(hash);
  });

  it('checks access before redirecting: another owner gets 404 and no URL', async () => {
    const { app, hash } = await serverOver(connect(120));
    const res = await app.request(`/images/${hash}`, { headers: bearer(BOB) });
    expect(res.status).toBe(404);
    expect(res.headers.get('location')).toBeNull();
    expect((await app.request(`/images/${'0'.repeat(64)}`, { headers: bearer(ALICE) })).status).toBe(404);
  });

  it('without presigning, streams the verified bytes as before', async () => {
    const { app, bytes, hash } = await serverOver(connect());
    const res = await app.request(`/images/${hash}`, { headers: bearer(ALICE) });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('etag')).toBe(`"${hash}"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('KONTEXT_S3_PRESIGN=<seconds> turns it on for KONTEXT_BLOBS; anything but 1–604800 seconds is refused by name', async () => {
    const env = { AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey, KONTEXT_S3_ENDPOINT: s3.endpoint };
    const { app, hash } = await serverOver(await openBlobStore(`s3://${s3.bucket}/env`, { ...env, KONTEXT_S3_PRESIGN: '300' }));
    const res = await app.request(`/images/${hash}`, { headers: bearer(ALICE) });
    expect(res.status).toBe(307);
    expect(new URL(res.headers.get('location')!).searchParams.get('X-Amz-Expires')).toBe('300');
    for (const bad of ['0', '-5', '1.5', 'soon', '604801']) {
      const error = await openBlobStore(`s3://${s3.bucket}/env`, { ...env, KONTEXT_S3_PRESIGN: bad }).catch((e: unknown) => e);
      expect(error, bad).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message, bad).toContain('KONTEXT_S3_PRESIGN');
    }
    for (const presignSeconds of [0, 2.5, 604_801]) {
      expect(() => S3BlobStore.connect({ endpoint: s3.endpoint, bucket: s3.bucket, ...S3_TEST_CREDENTIALS, presignSeconds }), String(presignSeconds)).toThrow(/presignSeconds/);
    }
  });
});

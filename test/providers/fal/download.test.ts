import { describe, expect, it } from 'vitest';
import { BlobTooLargeError } from '../../../src/blobs/BlobTooLargeError.js';
import { IntegrityError } from '../../../src/errors/IntegrityError.js';
import { NotFoundError } from '../../../src/errors/NotFoundError.js';
import { ProviderError } from '../../../src/errors/ProviderError.js';
import { ValidationError } from '../../../src/errors/ValidationError.js';
import { FAL_KONTEXT_PRO } from '../../../src/kontext/index.js';
import { toDataUri } from '../../../src/util/dataUri.js';
import { falHarness, pngBytes, readAll } from '../../support/falFixtures.js';

/** A PNG signature followed by filler: passes the sniff, large as we like. */
function bigPng(size: number): Buffer {
  const bytes = Buffer.alloc(size, 7);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
  return bytes;
}

describe('download', () => {
  it('streams a generated output: the bytes fal serves, typed by what they are', async () => {
    const { server, fal } = await falHarness();
    const job = await fal.submit(FAL_KONTEXT_PRO, { prompt: 'x', image_url: toDataUri(await pngBytes(), 'image/png'), output_format: 'png' });
    const { images } = await fal.wait(FAL_KONTEXT_PRO, job);
    const image = await fal.download(images[0]!.url);
    expect(image.contentType).toBe('image/png');
    expect(await readAll(image.body)).toEqual(server.fileBytes(images[0]!.url));
  });

  it('refuses more than maxBytes up front when Content-Length says so', async () => {
    const { server, fal } = await falHarness();
    const url = server.putFile(bigPng(10_000), 'image/png');
    await expect(fal.download(url, { maxBytes: 1000 })).rejects.toBeInstanceOf(BlobTooLargeError);
  });

  it('refuses more than maxBytes while streaming when there is no Content-Length', async () => {
    const { server, fal } = await falHarness();
    const url = server.putFile(bigPng(200_000), 'image/png', { chunked: true });
    const image = await fal.download(url, { maxBytes: 150_000 });
    await expect(readAll(image.body)).rejects.toBeInstanceOf(BlobTooLargeError);
    // The same file within the limit streams whole.
    expect((await readAll((await fal.download(url, { maxBytes: 200_000 })).body)).byteLength).toBe(200_000);
  });

  it('refuses a response whose Content-Type is not an image', async () => {
    const { server, fal } = await falHarness();
    const url = server.putFile(await pngBytes(), 'text/html');
    const error = await fal.download(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toContain('"text/html"');
  });

  it('refuses bytes that are not an image behind an image Content-Type', async () => {
    const { server, fal } = await falHarness();
    const url = server.putFile(Buffer.from('<html><body>login required</body></html>'), 'image/png');
    await expect(fal.download(url)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('an expired URL is NotFoundError', async () => {
    const { server, fal } = await falHarness();
    const url = server.putFile(await pngBytes(), 'image/png');
    server.expire(url);
    await expect(fal.download(url)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('decodes data URIs, refusing non-images and oversize ones', async () => {
    const { fal } = await falHarness();
    const bytes = await pngBytes();
    const image = await fal.download(toDataUri(bytes, 'image/png'));
    expect(image.contentType).toBe('image/png');
    expect(await readAll(image.body)).toEqual(bytes);
    await expect(fal.download(toDataUri(Buffer.from('hello'), 'text/plain'))).rejects.toBeInstanceOf(ProviderError);
    await expect(fal.download(toDataUri(Buffer.from('hello'), 'image/png'))).rejects.toBeInstanceOf(IntegrityError);
    await expect(fal.download(toDataUri(bigPng(5000), 'image/png'), { maxBytes: 1000 })).rejects.toBeInstanceOf(BlobTooLargeError);
  });

  it('refuses other schemes', async () => {
    const { server, fal } = await falHarness();
    await expect(fal.download('file:///etc/passwd')).rejects.toBeInstanceOf(ValidationError);
    await expect(fal.download('not a url')).rejects.toBeInstanceOf(ValidationError);
    expect(server.requests).toHaveLength(0);
  });
});

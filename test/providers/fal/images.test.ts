import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ValidationError } from '../../../src/errors/ValidationError.js';
import { FAL_KONTEXT_PRO } from '../../../src/kontext/index.js';
import type { ImageSource } from '../../../src/providers/Provider.js';
import { parseDataUri, toDataUri } from '../../../src/util/dataUri.js';
import { falHarness, pngBytes } from '../../support/falFixtures.js';

function source(bytes: Buffer, extra: Partial<ImageSource> = {}): ImageSource & { loads: number } {
  const image = {
    hash: 'f'.repeat(64),
    contentType: 'image/png',
    loads: 0,
    load: async () => {
      image.loads++;
      return bytes;
    },
    ...extra,
  };
  return image;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fal-images-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('prepareImage: the image_url to send', () => {
  it('passes a fal URL that still serves through, without loading or uploading', async () => {
    const { server, fal } = await falHarness({}, { inlineMaxBytes: 0 });
    const bytes = await pngBytes();
    const url = await fal.client.upload(bytes, { contentType: 'image/png' });
    const image = source(bytes, { url, urlProvider: 'fal' });
    const initiated = server.requestsTo('initiate').length;
    expect(await fal.prepareImage(image)).toBe(url);
    expect(image.loads).toBe(0);
    expect(server.requestsTo('initiate')).toHaveLength(initiated);
    expect(server.requests.at(-1)).toMatchObject({ method: 'HEAD', target: 'file', auth: 'none' });
  });

  it('replaces an expired fal URL: a small image goes inline as a data URI', async () => {
    const { server, fal } = await falHarness();
    const bytes = await pngBytes();
    const url = server.putFile(bytes, 'image/png', { name: 'old.png' });
    server.expire(url);
    const prepared = await fal.prepareImage(source(bytes, { url, urlProvider: 'fal' }));
    expect(parseDataUri(prepared)).toEqual({ contentType: 'image/png', bytes });
    expect(server.requestsTo('initiate')).toHaveLength(0);
  });

  it('replaces an expired fal URL: a large image is uploaded to fal storage', async () => {
    const { server, fal } = await falHarness({}, { inlineMaxBytes: 100 });
    const bytes = await pngBytes(200, 150);
    const url = server.putFile(bytes, 'image/png', { name: 'old.png' });
    server.expire(url);
    const prepared = await fal.prepareImage(source(bytes, { url, urlProvider: 'fal' }));
    expect(prepared).not.toBe(url);
    expect(prepared.startsWith(`${server.url}/files/`)).toBe(true);
    expect(server.fileBytes(prepared)).toEqual(bytes);
    expect(server.requestsTo('initiate')).toHaveLength(1);
    expect(server.requestsTo('upload')).toHaveLength(1);
  });

  it("never passes through a URL another provider handed out", async () => {
    const { server, fal } = await falHarness();
    const bytes = await pngBytes();
    const url = server.putFile(bytes, 'image/png', { name: 'local.png' });
    const prepared = await fal.prepareImage(source(bytes, { url, urlProvider: 'local' }));
    expect(prepared.startsWith('data:image/png;base64,')).toBe(true);
    expect(server.requestsTo('file')).toHaveLength(0);
  });

  it('refuses bytes that are not an image before sending anything', async () => {
    const { server, fal } = await falHarness();
    await expect(fal.prepareImage(source(Buffer.from('<html>not an image</html>')))).rejects.toBeInstanceOf(ValidationError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('imageUrlFrom: paths, bytes, data URIs and URLs', () => {
  it('uploads a local file and fal serves it back byte for byte; a job can use it', async () => {
    const { server, fal } = await falHarness({}, { inlineMaxBytes: 0 });
    const bytes = await pngBytes(40, 30);
    const path = join(await tempDir(), 'photo.png');
    await writeFile(path, bytes);
    const url = await fal.imageUrlFrom(path);
    expect(server.fileBytes(url)).toEqual(bytes);
    const fromFileUrl = await fal.imageUrlFrom(pathToFileURL(path).href);
    expect(server.fileBytes(fromFileUrl)).toEqual(bytes);

    const job = await fal.submit(FAL_KONTEXT_PRO, { prompt: 'make it night', image_url: url });
    const output = await fal.wait(FAL_KONTEXT_PRO, job);
    // The server sizes edits after their input: proof it loaded the uploaded file.
    expect(output.images[0]).toMatchObject({ width: 40, height: 30 });
  });

  it('inlines small bytes and data URIs; passes http(s) URLs through untouched', async () => {
    const { server, fal } = await falHarness();
    const bytes = await pngBytes();
    expect(await fal.imageUrlFrom(bytes)).toBe(toDataUri(bytes, 'image/png'));
    // The type comes from the bytes, not from what the data URI claims.
    expect(await fal.imageUrlFrom(toDataUri(bytes, 'image/jpeg'))).toBe(toDataUri(bytes, 'image/png'));
    expect(await fal.imageUrlFrom('https://example.com/cat.png')).toBe('https://example.com/cat.png');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a missing file and a file that is not an image, naming it', async () => {
    const { server, fal } = await falHarness();
    const dir = await tempDir();
    const missing = await fal.imageUrlFrom(join(dir, 'nope.png')).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ValidationError);
    expect((missing as Error).message).toContain('ENOENT');
    const text = join(dir, 'notes.png');
    await writeFile(text, 'just text');
    const notImage = await fal.imageUrlFrom(text).catch((error: unknown) => error);
    expect(notImage).toBeInstanceOf(ValidationError);
    expect((notImage as Error).message).toContain('notes.png');
    expect(server.requests).toHaveLength(0);
  });
});

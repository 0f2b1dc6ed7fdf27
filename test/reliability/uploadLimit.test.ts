import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpFixture, type HttpFixture } from './support/badInput/httpFixture.js';
import { snapshotDiff, snapshotStore } from './support/storeSnapshot.js';

/**
 * `maxImageBytes` is the largest image the server takes, "uploaded or downloaded from a
 * URL". An upload between it and it + 1 MiB (the room the body limit leaves for multipart
 * framing) used to reach the engine, whose own limit is 25 MiB, and be stored.
 */
let f: HttpFixture;
const LIMIT = 128 * 1024;
beforeEach(async () => {
  f = await httpFixture({ maxImageBytes: LIMIT });
});
afterEach(() => f.close());

async function pngOver(limit: number): Promise<Buffer> {
  // Noise does not compress: 300×300 RGB is ~270 KB of PNG.
  const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
  expect(png.length).toBeGreaterThan(limit);
  return png;
}

describe('an image upload over maxImageBytes', () => {
  it('is refused with 413 as a raw body, and nothing is stored', async () => {
    const before = snapshotStore(f.store, f.blobDir);
    const res = await f.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(await pngOver(LIMIT)) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('TOO_LARGE');
    expect(snapshotDiff(before, snapshotStore(f.store, f.blobDir))).toEqual([]);
  });

  it('is refused with 413 as a multipart file, and nothing is stored', async () => {
    const before = snapshotStore(f.store, f.blobDir);
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await pngOver(LIMIT))], { type: 'image/png' }), 'big.png');
    const res = await f.request('/sessions', { method: 'POST', body: form });
    expect(res.status).toBe(413);
    expect(snapshotDiff(before, snapshotStore(f.store, f.blobDir))).toEqual([]);
  });
});

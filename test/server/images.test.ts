import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorJson, HeadJson } from '../../src/server/schemas.js';
import { makeEngine, makeServer, testImage } from './support.js';

async function withImage(format: 'png' | 'jpeg' = 'png') {
  const { app } = makeServer(makeEngine());
  const bytes = await testImage(48, 32, format);
  const { head } = HeadJson.parse(await (await app.request('/sessions', { method: 'POST', headers: { 'content-type': `image/${format}` }, body: bytes })).json());
  return { app, bytes, hash: head!.outputs[0]!.hash };
}

describe('GET /images/:hash', () => {
  it('serves the archived bytes with their type, ETag = the hash and immutable caching', async () => {
    for (const format of ['png', 'jpeg'] as const) {
      const { app, bytes, hash } = await withImage(format);
      expect(hash).toBe(createHash('sha256').update(bytes).digest('hex'));
      const res = await app.request(`/images/${hash}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(`image/${format}`);
      expect(res.headers.get('etag')).toBe(`"${hash}"`);
      expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
  });

  it('If-None-Match with the ETag (strong, weak, in a list or *) answers 304 without a body', async () => {
    const { app, hash } = await withImage();
    for (const header of [`"${hash}"`, `W/"${hash}"`, `"other", "${hash}"`, '*']) {
      const res = await app.request(`/images/${hash}`, { headers: { 'if-none-match': header } });
      expect(res.status, header).toBe(304);
      expect(res.headers.get('etag')).toBe(`"${hash}"`);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    }
    expect((await app.request(`/images/${hash}`, { headers: { 'if-none-match': '"something-else"' } })).status).toBe(200);
  });

  it('an unknown or malformed hash is 404', async () => {
    const { app } = await withImage();
    for (const hash of ['0'.repeat(64), 'ABC', 'x'.repeat(64), '../../../etc/passwd']) {
      const res = await app.request(`/images/${hash}`);
      expect(res.status, hash).toBe(404);
      expect(ErrorJson.parse(await res.json()).error.code).toBe('NOT_FOUND');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { HeadJson } from '../../src/server/schemas.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { JSON_HEADERS, makeServer, testImage } from './support.js';

async function setup() {
  const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [createLocalProvider()] });
  const { app } = makeServer(engine);
  const res = await app.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() });
  const { session } = HeadJson.parse(await res.json());
  return { app, session };
}

describe('a method the resource does not answer', () => {
  it('PUT on a session is 405 with Allow listing what it does answer, and changes nothing', async () => {
    const { app, session } = await setup();
    const before = await (await app.request(`/sessions/${session.id}`)).json();
    const res = await app.request(`/sessions/${session.id}`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ title: 'x' }) });
    expect(res.status).toBe(405);
    const allow = (res.headers.get('allow') ?? '').split(', ');
    expect(allow).toContain('GET');
    expect(allow).not.toContain('PUT');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('METHOD_NOT_ALLOWED');
    expect(body.error.message).toContain('PUT');
    expect(body.error.message).toContain('GET');
    expect(await (await app.request(`/sessions/${session.id}`)).json()).toEqual(before);
  });

  it('PUT on the turns collection is 405 with POST allowed', async () => {
    const { app, session } = await setup();
    const res = await app.request(`/sessions/${session.id}/turns`, { method: 'PUT', headers: JSON_HEADERS, body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')?.split(', ')).toContain('POST');
  });

  it('a path no route matches is still 404', async () => {
    const { app } = await setup();
    const res = await app.request('/no/such/thing', { method: 'PUT' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorJson, HeadJson, SessionListJson, TreeJson } from '../../src/server/schemas.js';
import { JSON_HEADERS, loopbackOnly, loopbackServer, makeEngine, makeServer, testImage } from './support.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function upload(app: ReturnType<typeof makeServer>['app'], image: Uint8Array<ArrayBuffer>, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append('image', new Blob([image], { type: 'image/png' }), 'photo.png');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return app.request('/sessions', { method: 'POST', body: form });
}

describe('creating a session', () => {
  it('from a multipart upload: 201, Location, the root turn holds exactly the uploaded bytes', async () => {
    const { app } = makeServer(makeEngine());
    const image = await testImage();
    const res = await upload(app, image, { title: 'kitchen', params: JSON.stringify({ guidance_scale: 5 }) });
    expect(res.status).toBe(201);
    const body = HeadJson.parse(await res.json());
    expect(res.headers.get('location')).toBe(`/sessions/${body.session.id}`);
    expect(body.session.title).toBe('kitchen');
    expect(body.session.defaultParams).toMatchObject({ guidance_scale: 5 });
    expect(body.head?.kind).toBe('source');
    expect(body.head?.status).toBe('succeeded');
    const output = body.head!.outputs[0]!;
    expect(output.hash).toBe(sha256(image));
    const served = await app.request(output.url);
    expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(image))).toBe(true);
  });

  it('from a raw image body, with settings in the query string', async () => {
    const { app } = makeServer(makeEngine());
    const image = await testImage(32, 32, 'jpeg');
    const query = new URLSearchParams({ title: 'raw', params: JSON.stringify({ output_format: 'png' }), budgetMicros: '500000' });
    const res = await app.request(`/sessions?${query}`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: image });
    expect(res.status).toBe(201);
    const { session, head } = HeadJson.parse(await res.json());
    expect(session).toMatchObject({ title: 'raw', defaultParams: { output_format: 'png' }, budgetMicros: 500_000 });
    expect(head!.outputs[0]!.contentType).toBe('image/jpeg');
  });

  it('from a prompt: the root turn is a text-to-image generation', async () => {
    const engine = makeEngine();
    const { app } = makeServer(engine);
    const res = await app.request('/sessions', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'a red kitchen', params: { seed: 3 } }) });
    expect(res.status).toBe(201);
    const { head } = HeadJson.parse(await res.json());
    expect(head).toMatchObject({ kind: 'text', status: 'succeeded', prompt: 'a red kitchen', seedUsed: 3 });
    expect(head!.outputs).toHaveLength(1);
  });

  it('from an image URL on an allow-listed host, downloaded through the guard from 127.0.0.1 only', async () => {
    const image = await testImage();
    const origin = await loopbackServer({ '/photo.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(image) });
    const net = loopbackOnly();
    try {
      const { app } = makeServer(makeEngine(), {
        ssrf: { allowHosts: ['images.test'], lookup: async () => [{ address: '127.0.0.1', family: 4 }], connect: net.hook },
      });
      const res = await app.request('/sessions', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ image_url: `http://images.test:${origin.port}/photo.png` }) });
      expect(res.status).toBe(201);
      const { head } = HeadJson.parse(await res.json());
      expect(head!.outputs[0]!.hash).toBe(sha256(image));
      expect(origin.hits).toEqual(['/photo.png']);
      expect(net.connects.map((c) => c.address)).toEqual(['127.0.0.1']);
      expect(net.violations).toEqual([]);
    } finally {
      await origin.close();
    }
  });

  it('lists only sessions, newest first, and gets one with its HEAD', async () => {
    const { app } = makeServer(makeEngine());
    const a = HeadJson.parse(await (await upload(app, await testImage(), { title: 'a' })).json());
    const b = HeadJson.parse(await (await upload(app, await testImage(40, 40), { title: 'b' })).json());
    const list = SessionListJson.parse(await (await app.request('/sessions')).json());
    expect(list.sessions.map((s) => s.title)).toEqual(['b', 'a']);
    const got = HeadJson.parse(await (await app.request(`/sessions/${a.session.id}`)).json());
    expect(got.head?.id).toBe(a.session.headTurnId);
    expect(b.session.id).not.toBe(a.session.id);
  });

  it('updates title and default params, refusing a bad one', async () => {
    const { app } = makeServer(makeEngine());
    const { session } = HeadJson.parse(await (await upload(app, await testImage())).json());
    const ok = await app.request(`/sessions/${session.id}`, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ title: 'renamed', params: { seed: 9 } }) });
    expect(ok.status).toBe(200);
    expect(HeadJson.parse(await ok.json()).session).toMatchObject({ title: 'renamed', defaultParams: { seed: 9 } });
    const bad = await app.request(`/sessions/${session.id}`, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ params: { num_images: 9 } }) });
    expect(bad.status).toBe(422);
    expect(ErrorJson.parse(await bad.json()).error.details.issues).toEqual([{ field: 'params.num_images', message: '9 is above the maximum 4' }]);
  });

  it('deletes a session (204), after which it is 404', async () => {
    const { app } = makeServer(makeEngine());
    const { session } = HeadJson.parse(await (await upload(app, await testImage())).json());
    expect((await app.request(`/sessions/${session.id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await app.request(`/sessions/${session.id}`);
    expect(gone.status).toBe(404);
    expect(ErrorJson.parse(await gone.json()).error.code).toBe('NOT_FOUND');
  });

  it('refuses to delete a session with a turn in flight (409)', async () => {
    const engine = makeEngine({ local: { delayMs: 60_000 } });
    const { app } = makeServer(engine);
    const { session } = HeadJson.parse(await (await upload(app, await testImage())).json());
    const edit = await app.request(`/sessions/${session.id}/turns`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'make it red' }) });
    expect(edit.status).toBe(202);
    const { id } = (await edit.json()) as { id: string };
    const res = await app.request(`/sessions/${session.id}`, { method: 'DELETE' });
    expect(res.status).toBe(409);
    expect(ErrorJson.parse(await res.json()).error).toMatchObject({ code: 'CONFLICT', details: { turns: [id] } });
    expect((await app.request(`/sessions/${session.id}/turns/${id}/cancel`, { method: 'POST' })).status).toBe(200);
  });

  it('serves the tree and the cost of a session', async () => {
    const { app } = makeServer(makeEngine());
    const { session } = HeadJson.parse(await (await upload(app, await testImage())).json());
    await app.request(`/sessions/${session.id}/turns?wait=true`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'make it red' }) });
    const tree = TreeJson.parse(await (await app.request(`/sessions/${session.id}/tree`)).json());
    expect(tree.turns.map((t) => t.kind)).toEqual(['source', 'edit']);
    expect(tree.branches.map((b) => b.name)).toEqual(['main']);
    const cost = await (await app.request(`/sessions/${session.id}/cost`)).json();
    expect(cost).toEqual({ totalMicros: 0, budgetMicros: null, byBranch: { main: 0 }, byTurn: Object.fromEntries(tree.turns.map((t) => [t.id, 0])) });
  });
});

describe('creating a session: bad input is a 4xx with the error shape, never a 500', () => {
  const cases: { name: string; status: number; code: string; init: () => Promise<RequestInit> | RequestInit; path?: string }[] = [
    { name: 'malformed JSON', status: 400, code: 'MALFORMED', init: () => ({ method: 'POST', headers: JSON_HEADERS, body: '{"prompt": ' }) },
    { name: 'no Content-Type', status: 400, code: 'MALFORMED', init: () => ({ method: 'POST', body: new Uint8Array([1, 2, 3]) }) },
    { name: 'text/plain', status: 400, code: 'MALFORMED', init: () => ({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }) },
    { name: 'both image_url and prompt', status: 422, code: 'VALIDATION', init: () => ({ method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'x', image_url: 'https://example.com/a.png' }) }) },
    { name: 'neither', status: 422, code: 'VALIDATION', init: () => ({ method: 'POST', headers: JSON_HEADERS, body: '{}' }) },
    { name: 'an unknown field', status: 422, code: 'VALIDATION', init: () => ({ method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'x', colour: 'red' }) }) },
    { name: 'a wrong type', status: 422, code: 'VALIDATION', init: () => ({ method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'x', title: 5 }) }) },
    { name: 'a JSON array', status: 422, code: 'VALIDATION', init: () => ({ method: 'POST', headers: JSON_HEADERS, body: '[1,2]' }) },
    { name: 'an empty prompt', status: 422, code: 'VALIDATION', init: () => ({ method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: '   ' }) }) },
    { name: 'an unknown endpoint', status: 422, code: 'VALIDATION', init: () => ({ method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'x', endpoint: 'nope/model' }) }) },
    { name: 'bytes that are not an image', status: 422, code: 'VALIDATION', init: () => ({ method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(100).fill(7) }) },
    { name: 'an empty raw body', status: 400, code: 'MALFORMED', init: () => ({ method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(0) }) },
    { name: 'an unknown query parameter', status: 422, code: 'VALIDATION', path: '/sessions?colour=red', init: async () => ({ method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() }) },
    { name: 'params that are not JSON', status: 400, code: 'MALFORMED', path: '/sessions?params=%7Bnope', init: async () => ({ method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() }) },
    {
      name: 'a multipart form without the image',
      status: 422,
      code: 'VALIDATION',
      init: () => {
        const form = new FormData();
        form.append('title', 'x');
        return { method: 'POST', body: form };
      },
    },
    {
      name: 'a multipart form with an unknown field',
      status: 422,
      code: 'VALIDATION',
      init: async () => {
        const form = new FormData();
        form.append('image', new Blob([await testImage()]), 'a.png');
        form.append('colour', 'red');
        return { method: 'POST', body: form };
      },
    },
    { name: 'a broken multipart body', status: 400, code: 'MALFORMED', init: () => ({ method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body: 'not multipart at all' }) },
    { name: 'an image URL with a ftp: scheme', status: 422, code: 'UNSAFE_URL', init: () => ({ method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ image_url: 'ftp://example.com/a.png' }) }) },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const { app } = makeServer(makeEngine());
      const res = await app.request(c.path ?? '/sessions', await c.init());
      expect(res.status).toBe(c.status);
      expect(ErrorJson.parse(await res.json()).error.code).toBe(c.code);
    });
  }

  it('an upload over the image limit → 413 TOO_LARGE', async () => {
    const { app } = makeServer(makeEngine(), { maxImageBytes: 1024 });
    const big = new Uint8Array(3 * 1024 * 1024);
    const res = await app.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: big });
    expect(res.status).toBe(413);
    expect(ErrorJson.parse(await res.json()).error).toMatchObject({ code: 'TOO_LARGE', details: { maxBytes: 1024 + 1024 * 1024 } });
  });

  it('a JSON body over the JSON limit → 413 TOO_LARGE', async () => {
    const { app } = makeServer(makeEngine(), { maxJsonBytes: 2000 });
    const { session } = HeadJson.parse(await (await upload(app, await testImage())).json());
    const res = await app.request(`/sessions/${session.id}/turns`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'x'.repeat(5000) }) });
    expect(res.status).toBe(413);
    expect(ErrorJson.parse(await res.json()).error.code).toBe('TOO_LARGE');
  });

  it('a malformed session id is a 404, like a missing one', async () => {
    const { app } = makeServer(makeEngine());
    for (const path of ['/sessions/not!an!id', '/sessions/%E0%A4%A', `/sessions/${'x'.repeat(200)}`, '/sessions/missing123']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(ErrorJson.parse(await res.json()).error.code).toBe('NOT_FOUND');
    }
  });
});

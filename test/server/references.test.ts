import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { LookupFn } from '../../src/net/ssrf/index.js';
import { EndpointListJson } from '../../src/present/schemas.js';
import { ErrorJson, HeadJson, TurnJson } from '../../src/server/schemas.js';
import { ALICE, BOB, bearer, JSON_HEADERS, loopbackServer, makeEngine, makeServer, testImage, TOKENS } from './support.js';

type App = ReturnType<typeof makeServer>['app'];

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const solid = (r: number, g: number, b: number) => sharp({ create: { width: 24, height: 24, channels: 3, background: { r, g, b } } }).png().toBuffer();
const dataUri = (bytes: Buffer) => `data:image/png;base64,${bytes.toString('base64')}`;
/** images.test is 127.0.0.1, answered here: nothing reaches the system resolver. */
const lookup: LookupFn = async (hostname) => {
  if (hostname !== 'images.test') throw Object.assign(new Error(`no test record for ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address: '127.0.0.1', family: 4 }];
};

async function started(app: App, headers: Record<string, string> = {}, image?: Uint8Array<ArrayBuffer>) {
  const res = await app.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png', ...headers }, body: image ?? (await testImage()) });
  return HeadJson.parse(await res.json());
}

function edit(app: App, sessionId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return app.request(`/sessions/${sessionId}/turns?wait=true`, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });
}

async function issues(res: Response): Promise<{ code: string; fields: string[] }> {
  const { error } = ErrorJson.parse(await res.json());
  return { code: error.code, fields: ((error.details as { issues?: { field: string }[] } | undefined)?.issues ?? []).map((i) => i.field) };
}

describe('POST /sessions/:id/turns with references', () => {
  it('takes data URIs, http(s) URLs (through the SSRF guard) and /images/<hash>; the turn lists them as addresses', async () => {
    const fromWeb = await solid(0, 200, 220);
    const origin = await loopbackServer({ '/ref.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(fromWeb) });
    try {
      const { app } = makeServer(makeEngine(), { ssrf: { allowHosts: ['images.test'], lookup } });
      const { session, head: root } = await started(app);
      const inline = await solid(250, 220, 0);
      const res = await edit(app, session.id, {
        prompt: 'make it red',
        params: { seed: 1 },
        references: [dataUri(inline), `http://images.test:${origin.port}/ref.png`, `/images/${root!.outputs[0]!.hash}`],
      });
      expect(res.status).toBe(201);
      const turn = TurnJson.parse(await res.json());
      expect(turn.status).toBe('succeeded');
      expect(turn.references).toEqual([`/images/${sha256(inline)}`, `/images/${sha256(fromWeb)}`, `/images/${root!.outputs[0]!.hash}`]);
      expect(origin.hits).toEqual(['/ref.png']);
      // Each is served from the archive, like any image of the session.
      for (const address of turn.references) expect((await app.request(address)).status).toBe(200);
    } finally {
      await origin.close();
    }
  });

  it('a loopback URL is refused by the default guard, naming the item, and never fetched', async () => {
    const origin = await loopbackServer({ '/ref.png': (_req, res) => res.writeHead(200).end(Buffer.alloc(10)) });
    try {
      const { app } = makeServer(makeEngine());
      const { session } = await started(app);
      const res = await edit(app, session.id, { prompt: 'make it red', references: [dataUri(await solid(1, 2, 3)), `http://127.0.0.1:${origin.port}/ref.png`] });
      expect(res.status).toBe(422);
      expect(ErrorJson.parse(await res.json()).error).toMatchObject({ code: 'UNSAFE_URL', details: { field: 'references[1]', reason: 'loopback' } });
      expect(origin.hits).toEqual([]);
    } finally {
      await origin.close();
    }
  });

  it.each([
    ['a file URL', 'file:///etc/passwd', 'references[0]'],
    ['a bare path', '/etc/passwd', 'references[0]'],
    ['a data URI that is not base64', 'data:image/png,hello', 'references[0]'],
    ['a data URI that is not an image', `data:image/png;base64,${Buffer.from('not an image at all').toString('base64')}`, 'references[0]'],
    ['an unknown archived hash', `/images/${'a'.repeat(64)}`, 'references[0]'],
  ])('%s is refused with the item named', async (_name, item, field) => {
    const engine = makeEngine();
    const { app } = makeServer(engine);
    const { session } = await started(app);
    const res = await edit(app, session.id, { prompt: 'make it red', references: [item] });
    expect(res.status).toBe(422);
    expect(await issues(res)).toEqual({ code: 'VALIDATION', fields: [field] });
    // Nothing was written: HEAD is still the root.
    const tree = (await (await app.request(`/sessions/${session.id}/tree`)).json()) as { turns: unknown[] };
    expect(tree.turns).toHaveLength(1);
  });

  it('more references than the endpoint takes are refused before any is fetched', async () => {
    const origin = await loopbackServer({ '/ref.png': (_req, res) => res.writeHead(200).end(Buffer.alloc(10)) });
    try {
      const { app } = makeServer(makeEngine(), { ssrf: { allowHosts: ['images.test'], lookup } });
      const { session } = await started(app);
      const url = `http://images.test:${origin.port}/ref.png`;
      const res = await edit(app, session.id, { prompt: 'make it red', references: [url, url, url, url, url] });
      expect(res.status).toBe(422);
      const { error } = ErrorJson.parse(await res.json());
      expect(error.message).toContain("references: 5 reference images given; 'local/kontext-sim' takes at most 4");
      expect(origin.hits).toEqual([]);
    } finally {
      await origin.close();
    }
  });

  it("another user's image cannot be a reference by its hash (the same answer as an unknown one)", async () => {
    const { app } = makeServer(makeEngine(), { tokens: TOKENS });
    const alices = await started(app, bearer(ALICE), await testImage(80, 60));
    const bobs = await started(app, bearer(BOB));
    const res = await edit(app, bobs.session.id, { prompt: 'make it red', references: [`/images/${alices.head!.outputs[0]!.hash}`] }, bearer(BOB));
    expect(res.status).toBe(422);
    const { error } = ErrorJson.parse(await res.json());
    expect(error.message).toContain('is not an image of your sessions');
  });
});

describe('GET /endpoints', () => {
  it('lists every endpoint with its price and capabilities, without a token', async () => {
    const { app } = makeServer(makeEngine(), { tokens: TOKENS });
    const res = await app.request('/endpoints');
    expect(res.status).toBe(200);
    const { endpoints } = EndpointListJson.parse(await res.json());
    const byId = new Map(endpoints.map((e) => [e.id, e]));
    expect(byId.get('fal-ai/flux-pro/kontext')).toMatchObject({ provider: 'fal', maxReferences: 0, priceMicros: 40_000, price: '$0.04', pricedBySize: false, seed: true });
    expect(byId.get('fal-ai/flux-pro/kontext/max/multi')).toMatchObject({ provider: 'fal', maxReferences: 3 });
    expect(byId.get('fal-ai/flux-2-pro/edit')).toMatchObject({ provider: 'fal', pricedBySize: true, aspectRatios: [], sizes: { min: 256, max: 2048, multipleOf: 16 } });
    expect(byId.get('bfl/flux-2-pro')).toMatchObject({ provider: 'bfl', maxReferences: 7, pricedBySize: true });
    expect(byId.get('replicate/black-forest-labs/flux-kontext-pro')).toMatchObject({ maxReferences: 0 });
    expect(byId.get('local/kontext-sim')).toMatchObject({ maxReferences: 4, priceMicros: 0 });
  });
});

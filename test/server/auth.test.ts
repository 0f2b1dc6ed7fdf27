import { describe, expect, it } from 'vitest';
import { parseTokens } from '../../src/server/index.js';
import { ErrorJson, HeadJson, SessionListJson, TurnJson } from '../../src/server/schemas.js';
import { ALICE, BOB, bearer, JSON_HEADERS, makeEngine, makeServer, TOKENS, testImage } from './support.js';

type App = ReturnType<typeof makeServer>['app'];

async function aliceSession(app: App) {
  const res = await app.request('/sessions', { method: 'POST', headers: { ...bearer(ALICE), 'content-type': 'image/png' }, body: await testImage() });
  expect(res.status).toBe(201);
  return HeadJson.parse(await res.json());
}

describe('bearer tokens', () => {
  it('a request without a token, or with an unknown one, is 401 with WWW-Authenticate', async () => {
    const { app } = makeServer(makeEngine(), { tokens: TOKENS });
    for (const headers of [{}, { authorization: 'Bearer not-a-known-token-at-all' }, { authorization: `Basic ${ALICE.token}` }] as Record<string, string>[]) {
      const res = await app.request('/sessions', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="kontext"');
      expect(ErrorJson.parse(await res.json()).error.code).toBe('AUTH');
    }
  });

  it('tokens are read from KONTEXT_TOKENS', async () => {
    const { app, authenticated } = makeServer(makeEngine(), { env: { KONTEXT_TOKENS: TOKENS } });
    expect(authenticated).toBe(true);
    expect((await app.request('/sessions')).status).toBe(401);
    expect((await app.request('/sessions', { headers: bearer(BOB) })).status).toBe(200);
  });

  it('every new session belongs to the token owner', async () => {
    const engine = makeEngine();
    const { app } = makeServer(engine, { tokens: TOKENS });
    const { session } = await aliceSession(app);
    expect(session.owner).toBe('alice');
    expect((await engine.getSession(session.id)).owner).toBe('alice');
  });

  it("one token never sees another's sessions: list, get, edit, events, tree and images are 404 like a missing id", async () => {
    const { app } = makeServer(makeEngine(), { tokens: TOKENS });
    const { session, head } = await aliceSession(app);
    const edited = TurnJson.parse(
      await (await app.request(`/sessions/${session.id}/turns?wait=true`, { method: 'POST', headers: { ...bearer(ALICE), ...JSON_HEADERS }, body: JSON.stringify({ prompt: 'make it red' }) })).json(),
    );

    expect(SessionListJson.parse(await (await app.request('/sessions', { headers: bearer(BOB) })).json()).sessions).toEqual([]);
    expect(SessionListJson.parse(await (await app.request('/sessions', { headers: bearer(ALICE) })).json()).sessions.map((s) => s.id)).toEqual([session.id]);

    const missing = await app.request('/sessions/nosuchsession1', { headers: bearer(BOB) });
    const missingBody = ErrorJson.parse(await missing.json());
    const probes: [string, RequestInit][] = [
      [`/sessions/${session.id}`, {}],
      [`/sessions/${session.id}/tree`, {}],
      [`/sessions/${session.id}/cost`, {}],
      [`/sessions/${session.id}/turns/${edited.id}`, {}],
      [`/sessions/${session.id}/events`, {}],
      [`/sessions/${session.id}/turns/${edited.id}/events`, {}],
      [`/sessions/${session.id}/export`, {}],
      [`/sessions/${session.id}/turns`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'make it mine' }) }],
      [`/sessions/${session.id}/undo`, { method: 'POST' }],
      [`/sessions/${session.id}/checkout`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ ref: 'main' }) }],
      [`/sessions/${session.id}/branches`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ name: 'stolen' }) }],
      [`/sessions/${session.id}/turns/${edited.id}/pick`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ index: 0 }) }],
      [`/sessions/${session.id}/replay`, { method: 'POST' }],
      [`/sessions/${session.id}`, { method: 'DELETE' }],
    ];
    for (const [path, init] of probes) {
      const res = await app.request(path, { ...init, headers: { ...bearer(BOB), ...(init.headers as Record<string, string> | undefined) } });
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(404);
      const { error } = ErrorJson.parse(await res.json());
      // The same words as for an id that does not exist, so nothing tells them apart.
      expect(error.message.replace(session.id, 'X')).toBe(missingBody.error.message.replace('nosuchsession1', 'X'));
    }
    for (const hash of [head!.outputs[0]!.hash, edited.outputs[0]!.hash]) {
      expect((await app.request(`/images/${hash}`, { headers: bearer(BOB) })).status).toBe(404);
      expect((await app.request(`/images/${hash}`, { headers: bearer(ALICE) })).status).toBe(200);
      expect((await app.request(`/images/${hash}`)).status).toBe(401);
    }
    // Nothing Bob tried changed Alice's session.
    const after = HeadJson.parse(await (await app.request(`/sessions/${session.id}`, { headers: bearer(ALICE) })).json());
    expect(after.session.headTurnId).toBe(edited.id);
  });

  it('health and the OpenAPI document need no token; the page neither', async () => {
    const { app } = makeServer(makeEngine(), { tokens: TOKENS });
    expect(await (await app.request('/health')).json()).toMatchObject({ ok: true, auth: true });
    expect((await app.request('/openapi.json')).status).toBe(200);
    expect((await app.request('/')).status).toBe(200);
  });
});

describe('parsing tokens', () => {
  it('reads owner:token pairs and maps each token to its owner', () => {
    const table = parseTokens(` ${TOKENS}, `)!;
    expect(table.size).toBe(2);
    expect(table.ownerOf(ALICE.token)).toBe('alice');
    expect(table.ownerOf(BOB.token)).toBe('bob');
    expect(table.ownerOf('nope')).toBeUndefined();
    expect(parseTokens('')).toBeUndefined();
    expect(parseTokens(undefined)).toBeUndefined();
  });

  it('refuses short tokens, malformed entries and a token shared by two owners, without echoing tokens', () => {
    expect(() => parseTokens('alice:short')).toThrow(/at least 16/);
    expect(() => parseTokens('justatokenwithoutowner0123')).toThrow(/is not 'owner:token'/);
    const shared = 'shared-token-0123456789';
    expect(() => parseTokens(`alice:${shared},bob:${shared}`)).toThrow(/'bob' has the same token as 'alice'/);
    try {
      parseTokens('alice:short-secret');
    } catch (error) {
      expect((error as Error).message).not.toContain('short-secret');
    }
  });
});

describe('without tokens (one local user, loopback only)', () => {
  it('answers requests for localhost and 127.0.0.1 names only (DNS rebinding guard)', async () => {
    const { app } = makeServer(makeEngine());
    expect((await app.request('http://127.0.0.1:8787/sessions')).status).toBe(200);
    expect((await app.request('http://localhost/sessions')).status).toBe(200);
    const rebound = await app.request('http://evil.example/sessions');
    expect(rebound.status).toBe(403);
    expect(ErrorJson.parse(await rebound.json()).error.code).toBe('FORBIDDEN');
  });

  it('refuses state changes from another origin, accepts them from its own', async () => {
    const { app } = makeServer(makeEngine());
    const image = await testImage();
    const foreign = await app.request('http://127.0.0.1:8787/sessions', { method: 'POST', headers: { 'content-type': 'image/png', origin: 'https://evil.example' }, body: image });
    expect(foreign.status).toBe(403);
    const crossSite = await app.request('http://127.0.0.1:8787/sessions', { method: 'POST', headers: { 'content-type': 'image/png', 'sec-fetch-site': 'cross-site' }, body: image });
    expect(crossSite.status).toBe(403);
    const own = await app.request('http://127.0.0.1:8787/sessions', { method: 'POST', headers: { 'content-type': 'image/png', origin: 'http://127.0.0.1:8787', 'sec-fetch-site': 'same-origin' }, body: image });
    expect(own.status).toBe(201);
    expect((await app.request('http://127.0.0.1:8787/sessions')).status).toBe(200);
  });

  it('sessions have no owner and every session is visible', async () => {
    const engine = makeEngine();
    const { app } = makeServer(engine);
    const fromCli = await engine.startSession({ image: { bytes: await testImage() }, title: 'made by the CLI' });
    const list = SessionListJson.parse(await (await app.request('/sessions')).json());
    expect(list.sessions.map((s) => [s.id, s.owner])).toEqual([[fromCli.id, null]]);
  });
});

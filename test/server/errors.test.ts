import { describe, expect, it } from 'vitest';
import { ErrorJson, HeadJson, TurnJson } from '../../src/server/schemas.js';
import { JSON_HEADERS, makeEngine, makeServer, testImage } from './support.js';

type App = ReturnType<typeof makeServer>['app'];

/** Every API route of the app with real ids filled in, so each request reaches its handler. */
async function concreteRoutes(app: App) {
  const created = HeadJson.parse(await (await app.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() })).json());
  const turn = TurnJson.parse(
    await (await app.request(`/sessions/${created.session.id}/turns?wait=true`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'make it red' }) })).json(),
  );
  const fill: Record<string, string> = { sessionId: created.session.id, turn: turn.id, name: 'main', hash: turn.outputs[0]!.hash };
  // Webhook routes take signed provider calls, not user input, and this server has no public
  // URL, so they answer 404 by design.
  const skip = new Set(['/', '/chat-editor/:file', '/health', '/openapi.json', '/webhooks/:provider']);
  return app.routes
    .filter((r) => r.method !== 'ALL' && !skip.has(r.path))
    .map((r) => ({ method: r.method, path: r.path.replace(/:(\w+)(\{[^}]*\})?/g, (_m, name: string) => fill[name]!) }));
}

function expectClientError(res: Response, label: string, allowed: number[]) {
  expect(allowed, `${label} → ${res.status}`).toContain(res.status);
}

describe('bad input never yields a 500', () => {
  it('every route refuses an unknown query parameter with 422 and the error shape', async () => {
    const { app } = makeServer(makeEngine());
    for (const route of await concreteRoutes(app)) {
      const withBody = route.method === 'POST' || route.method === 'PATCH';
      const res = await app.request(`${route.path}?bogus=1`, withBody ? { method: route.method, headers: JSON_HEADERS, body: '{}' } : { method: route.method });
      expectClientError(res, `${route.method} ${route.path}?bogus=1`, [422]);
      expect(ErrorJson.parse(await res.json()).error.code).toBe('VALIDATION');
    }
  });

  it('every route with a body refuses malformed JSON, wrong shapes, unknown fields and the wrong content type with a 4xx', async () => {
    const { app } = makeServer(makeEngine());
    const bodies: [string, Record<string, string>, string][] = [
      ['malformed JSON', JSON_HEADERS, '{"prompt": '],
      ['an array', JSON_HEADERS, '[1, 2, 3]'],
      ['null', JSON_HEADERS, 'null'],
      ['a number', JSON_HEADERS, '42'],
      ['an unknown field', JSON_HEADERS, '{"definitely_not_a_field": true}'],
      ['deep nesting', JSON_HEADERS, '['.repeat(5000) + ']'.repeat(5000)],
      ['text/plain', { 'content-type': 'text/plain' }, 'hello'],
      ['a lying charset', { 'content-type': 'application/json; charset=utf-16' }, '{"prompt": "x"}'.replace('x', '\u0000')],
    ];
    for (const route of (await concreteRoutes(app)).filter((r) => r.method === 'POST' || r.method === 'PATCH')) {
      for (const [name, headers, body] of bodies) {
        const res = await app.request(route.path, { method: route.method, headers, body });
        expectClientError(res, `${route.method} ${route.path} with ${name}`, [400, 409, 413, 422]);
        ErrorJson.parse(await res.json());
      }
    }
  });

  it('unknown routes are a JSON 404; a known route with a method it does not answer is a JSON 405', async () => {
    const { app } = makeServer(makeEngine());
    for (const [method, path, status, code] of [
      ['GET', '/nowhere', 404, 'NOT_FOUND'],
      ['GET', '/sessions/a/b/c/d/e', 404, 'NOT_FOUND'],
      ['PUT', '/sessions', 405, 'METHOD_NOT_ALLOWED'],
      ['POST', '/images/abc', 405, 'METHOD_NOT_ALLOWED'],
    ] as const) {
      const res = await app.request(path, { method });
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(ErrorJson.parse(await res.json()).error.code).toBe(code);
    }
  });

  it('an unexpected failure is a 500 with a fixed message; the details go to the log, not the client', async () => {
    const engine = makeEngine();
    const { app, logs } = makeServer(engine);
    engine.listSessions = async () => {
      throw new Error('SQLITE_CORRUPT: /secret/path/kontext.db');
    };
    const res = await app.request('/sessions');
    expect(res.status).toBe(500);
    const body = ErrorJson.parse(await res.json());
    expect(body.error).toEqual({ code: 'INTERNAL', message: 'internal server error; see the server log', details: {} });
    expect(logs.join('\n')).toContain('SQLITE_CORRUPT');
  });
});

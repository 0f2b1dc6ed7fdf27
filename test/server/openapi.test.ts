import { describe, expect, it } from 'vitest';
import { KontextParamsOverrides } from '../../src/kontext/schemas.js';
import { makeEngine, makeServer, TOKENS } from './support.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> }; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; additionalProperties?: unknown }>; securitySchemes?: unknown };
  security?: unknown[];
};

/** The app's own routes as (method, OpenAPI path) pairs, without middleware, the page and the meta routes. */
function apiRoutes(app: ReturnType<typeof makeServer>['app']): string[] {
  const skip = new Set(['/', '/chat-editor/:file', '/health', '/openapi.json']);
  return [
    ...new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && !skip.has(r.path))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`),
    ),
  ].sort();
}

describe('GET /openapi.json', () => {
  it('documents every API route the server has, and only those', async () => {
    const { app } = makeServer(makeEngine());
    const doc = (await (await app.request('/openapi.json')).json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(apiRoutes(app));
  });

  it("is generated from the library's schemas: the edit body's params are KontextParams with the same limits", async () => {
    const { app } = makeServer(makeEngine());
    const doc = (await (await app.request('/openapi.json')).json()) as Doc;
    const editRef = doc.paths['/sessions/{sessionId}/turns']!.post!.requestBody!.content['application/json']!.schema.$ref!;
    const edit = doc.components.schemas[editRef.split('/').at(-1)!]!;
    expect(edit.additionalProperties).toBe(false);
    expect(edit.properties!.params).toEqual({ $ref: '#/components/schemas/KontextParams' });
    const params = doc.components.schemas.KontextParams!;
    expect(Object.keys(params.properties!).sort()).toEqual(Object.keys(KontextParamsOverrides.shape).sort());
    expect(params.properties!.guidance_scale).toMatchObject({ minimum: 1, maximum: 20 });
    expect(params.properties!.num_images).toMatchObject({ minimum: 1, maximum: 4 });
    expect(doc.components.schemas.Error).toBeDefined();
  });

  it('declares bearer auth when the server has tokens', async () => {
    const open = (await (await makeServer(makeEngine()).app.request('/openapi.json')).json()) as Doc;
    expect(open.security).toEqual([]);
    const locked = (await (await makeServer(makeEngine(), { tokens: TOKENS }).app.request('/openapi.json')).json()) as Doc;
    expect(locked.security).toEqual([{ bearer: [] }]);
    expect(locked.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
  });
});

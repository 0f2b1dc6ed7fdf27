import { Hono } from 'hono';
import type { SessionEngine } from '../../engine/SessionEngine.js';
import type { ServerEnv } from '../context.js';
import { endpointDoc } from '../../present/documents.js';
import { NoQuery } from '../schemas.js';
import { query } from '../validate.js';

/** Unauthenticated: a health check (for the CLI and load balancers), the OpenAPI document and the endpoint list. */
export function metaRoutes(engine: SessionEngine, openapi: () => unknown, auth: boolean): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get('/health', (c) => c.json({ ok: true, auth, providers: engine.providerNames, defaultEndpoint: engine.defaultEndpoint }));
  app.get('/openapi.json', (c) => c.json(openapi()));
  // The registry is the same for every caller and holds no secret: what an edit may ask for.
  app.get('/endpoints', (c) => {
    query(c, NoQuery);
    return c.json({ endpoints: engine.endpoints.list().map(endpointDoc) });
  });
  return app;
}

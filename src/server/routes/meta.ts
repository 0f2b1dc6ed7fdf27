import { Hono } from 'hono';
import type { SessionEngine } from '../../engine/SessionEngine.js';
import type { ServerEnv } from '../context.js';

/** Unauthenticated: a health check (for the CLI and load balancers) and the OpenAPI document. */
export function metaRoutes(engine: SessionEngine, openapi: () => unknown, auth: boolean): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get('/health', (c) => c.json({ ok: true, auth, providers: engine.providerNames, defaultEndpoint: engine.defaultEndpoint }));
  app.get('/openapi.json', (c) => c.json(openapi()));
  return app;
}

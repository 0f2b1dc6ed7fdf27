import { Hono } from 'hono';
import type { SessionEngine } from '../../engine/SessionEngine.js';
import type { ServerEnv } from '../context.js';
import { send } from '../errors/errorResponse.js';

/**
 * `POST /webhooks/fal|bfl|replicate`: the providers' callbacks. No bearer token: the
 * provider's signature is the authentication (a forged or stale one is 401, nothing changed).
 * The body is read raw (the signature covers its exact bytes) under the JSON body limit.
 * A good webhook only wakes its turn, which then fetches the result from the provider itself.
 */
export function webhookRoutes(engine: SessionEngine): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.post('/webhooks/:provider', async (c) => {
    const receiver = engine.webhooks;
    if (!receiver) return send(c, 404, 'NOT_FOUND', 'provider webhooks are off on this server: set KONTEXT_PUBLIC_URL to the URL providers can reach it at');
    const body = new Uint8Array(await c.req.arrayBuffer());
    const result = await receiver.receive(c.req.param('provider'), { headers: c.req.raw.headers, body });
    // 200 for an ignored one too: the provider has delivered it, and a retry could change nothing.
    return c.json(result.outcome === 'ignored' ? { outcome: result.outcome, reason: result.reason } : { outcome: result.outcome });
  });
  return app;
}


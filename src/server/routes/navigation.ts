import { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../context.js';
import { CheckoutBody, EmptyBody, NoQuery, SessionPath } from '../schemas.js';
import { jsonBody, pathParams, query } from '../validate.js';
import { sessionDetail } from './sessions.js';

/** HEAD: read it, undo (to the parent), redo (back down), checkout (a turn or a branch). Each answers with the session and its new HEAD. */
export function navigationRoutes(ctx: ServerContext): Hono<ServerEnv> {
  const { engine, access } = ctx;
  const app = new Hono<ServerEnv>();

  app.get('/sessions/:sessionId/head', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    return c.json(await sessionDetail(engine, await access.session(c.get('owner'), sessionId)));
  });

  app.post('/sessions/:sessionId/undo', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    await jsonBody(c, EmptyBody, { optional: true });
    return c.json(await sessionDetail(engine, await engine.undo(sessionId)));
  });

  app.post('/sessions/:sessionId/redo', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    await jsonBody(c, EmptyBody, { optional: true });
    return c.json(await sessionDetail(engine, await engine.redo(sessionId)));
  });

  app.post('/sessions/:sessionId/checkout', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    const { ref } = await jsonBody(c, CheckoutBody);
    return c.json(await sessionDetail(engine, await engine.checkout(sessionId, ref)));
  });

  return app;
}

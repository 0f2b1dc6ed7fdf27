import { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../context.js';
import { EventsQuery, SessionPath, TurnPath } from '../schemas.js';
import { eventStream, resumePoint } from '../sse.js';
import { pathParams, query } from '../validate.js';

/**
 * Server-sent events of a session (optionally `?turn=` one turn) and of one turn. Reconnecting
 * with `Last-Event-ID` (browsers send it by themselves) or `?after=` resumes without a gap.
 */
export function eventRoutes(ctx: ServerContext): Hono<ServerEnv> {
  const { access } = ctx;
  const app = new Hono<ServerEnv>();

  app.get('/sessions/:sessionId/events', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    const q = query(c, EventsQuery);
    const owner = c.get('owner');
    await access.session(owner, sessionId);
    const turnId = q.turn === undefined ? undefined : (await access.turn(owner, sessionId, q.turn)).id;
    const afterId = resumePoint(c.req.header('last-event-id') ?? q.after, ctx.epoch);
    return eventStream(c, ctx, { sessionId, turnId, afterId });
  });

  app.get('/sessions/:sessionId/turns/:turn/events', async (c) => {
    const { sessionId, turn } = pathParams(c, TurnPath);
    const q = query(c, EventsQuery.omit({ turn: true }));
    const row = await access.turn(c.get('owner'), sessionId, turn);
    const afterId = resumePoint(c.req.header('last-event-id') ?? q.after, ctx.epoch);
    return eventStream(c, ctx, { sessionId, turnId: row.id, afterId });
  });

  return app;
}

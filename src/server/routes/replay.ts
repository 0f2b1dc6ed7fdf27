import { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../context.js';
import { ReplayBody, SessionPath, WhatIfBody, NoQuery } from '../schemas.js';
import { jsonBody, pathParams, query } from '../validate.js';

/**
 * Replay (root → a turn into a new branch, `exact` from the archive or `fresh` with the
 * recorded seeds) and what-if (change one turn, re-apply its subtree; `dryRun` prices it).
 * Both answer when done: fresh replays and what-ifs run turns, so they hold a turn slot.
 */
export function replayRoutes(ctx: ServerContext): Hono<ServerEnv> {
  const { engine, access } = ctx;
  const app = new Hono<ServerEnv>();

  app.post('/sessions/:sessionId/replay', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    const owner = c.get('owner');
    await access.session(owner, sessionId);
    const body = await jsonBody(c, ReplayBody, { optional: true });
    const release = ctx.turns.reserve(owner);
    const report = await ctx.turns.run(release, () => engine.replay(sessionId, body));
    return c.json(report, 201);
  });

  app.post('/sessions/:sessionId/what-if', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    const owner = c.get('owner');
    await access.session(owner, sessionId);
    const { turn, prompt, params, dryRun } = await jsonBody(c, WhatIfBody);
    const change = { ...(prompt === undefined ? {} : { prompt }), ...(params === undefined ? {} : { params }) };
    if (dryRun) return c.json(await engine.whatIf(sessionId, turn, change, { dryRun: true }));
    const release = ctx.turns.reserve(owner);
    return c.json(await ctx.turns.run(release, () => engine.whatIf(sessionId, turn, change)), 201);
  });

  return app;
}

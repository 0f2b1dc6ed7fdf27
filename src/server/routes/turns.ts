import { Hono } from 'hono';
import type { Turn } from '../../model/index.js';
import type { ServerContext, ServerEnv } from '../context.js';
import { httpImageAddress, subtreeDeletionDoc, turnDoc } from '../../present/index.js';

const turnJson = (turn: Turn) => turnDoc(turn, httpImageAddress);
import { DeleteTurnQuery, EditBody, EditQuery, EmptyBody, NoQuery, PickBody, SessionPath, TurnPath } from '../schemas.js';
import { jsonBody, pathParams, query } from '../validate.js';
import { referencesFromBody } from '../references.js';

/**
 * Turns: edit (from HEAD or any turn; 202 at once and run in the background, or `?wait=true`
 * to answer when it has finished), get one, its path and children, pick a candidate, pin and
 * unpin it, list the pins, cancel.
 */
export function turnRoutes(ctx: ServerContext): Hono<ServerEnv> {
  const { engine, access } = ctx;
  const app = new Hono<ServerEnv>();

  app.post('/sessions/:sessionId/turns', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    const owner = c.get('owner');
    await access.session(owner, sessionId);
    const { wait } = query(c, EditQuery);
    const body = await jsonBody(c, EditBody);
    const references = await referencesFromBody({ ...ctx, maxImageBytes: ctx.limits.imageBytes }, { owner, sessionId, endpoint: body.endpoint, signal: c.req.raw.signal }, body.references);
    const release = ctx.turns.reserve(owner);
    let turn: Turn;
    try {
      turn = await engine.beginEdit(sessionId, body.prompt, body.params ?? {}, { from: body.from, candidate: body.candidate, endpoint: body.endpoint, memo: body.memo, references });
    } catch (error) {
      release();
      throw error;
    }
    c.header('Location', `/sessions/${sessionId}/turns/${turn.id}`);
    // The request's own signal is not passed on: a client that hangs up must not cancel (and
    // so lose) a turn that is already paid for; it can come back for the result.
    if (wait === 'true') return c.json(turnJson(await ctx.turns.run(release, () => engine.finish(turn))), 201);
    ctx.turns.background(release, `turn ${turn.id}`, () => engine.finish(turn));
    return c.json(turnJson(await engine.getTurn(turn.id)), 202);
  });

  app.get('/sessions/:sessionId/turns/:turn', async (c) => {
    const { sessionId, turn } = pathParams(c, TurnPath);
    query(c, NoQuery);
    // The owner check resolves the turn whole, outputs included: that is the answer.
    return c.json(turnJson(await access.turn(c.get('owner'), sessionId, turn)));
  });

  app.delete('/sessions/:sessionId/turns/:turn', async (c) => {
    const { sessionId, turn } = pathParams(c, TurnPath);
    const { branches } = query(c, DeleteTurnQuery);
    const row = await access.turn(c.get('owner'), sessionId, turn);
    return c.json(subtreeDeletionDoc(await engine.deleteSubtree(sessionId, row.id, { deleteBranches: branches === 'true' })));
  });

  app.get('/sessions/:sessionId/turns/:turn/path', async (c) => {
    const { sessionId, turn } = pathParams(c, TurnPath);
    query(c, NoQuery);
    const row = await access.turn(c.get('owner'), sessionId, turn);
    return c.json({ turns: (await engine.path(row.id)).map(turnJson) });
  });

  app.get('/sessions/:sessionId/turns/:turn/children', async (c) => {
    const { sessionId, turn } = pathParams(c, TurnPath);
    query(c, NoQuery);
    const row = await access.turn(c.get('owner'), sessionId, turn);
    return c.json({ turns: (await engine.children(row.id)).map(turnJson) });
  });

  app.post('/sessions/:sessionId/turns/:turn/pick', async (c) => {
    const { sessionId, turn } = pathParams(c, TurnPath);
    query(c, NoQuery);
    const row = await access.turn(c.get('owner'), sessionId, turn);
    const { index } = await jsonBody(c, PickBody);
    return c.json(turnJson(await engine.pick(row.id, index)));
  });

  app.put('/sessions/:sessionId/turns/:turn/pin', async (c) => {
    const { sessionId, turn } = pathParams(c, TurnPath);
    query(c, NoQuery);
    const row = await access.turn(c.get('owner'), sessionId, turn);
    await jsonBody(c, EmptyBody, { optional: true });
    return c.json(turnJson(await engine.pin(row.id)));
  });

  app.delete('/sessions/:sessionId/turns/:turn/pin', async (c) => {
    const { sessionId, turn } = pathParams(c, TurnPath);
    query(c, NoQuery);
    const row = await access.turn(c.get('owner'), sessionId, turn);
    return c.json(turnJson(await engine.unpin(row.id)));
  });

  app.get('/sessions/:sessionId/pins', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    return c.json({ turns: (await engine.pins(sessionId)).map(turnJson) });
  });

  app.post('/sessions/:sessionId/turns/:turn/cancel', async (c) => {
    const { sessionId, turn } = pathParams(c, TurnPath);
    query(c, NoQuery);
    const row = await access.turn(c.get('owner'), sessionId, turn);
    await jsonBody(c, EmptyBody, { optional: true });
    return c.json(turnJson(await engine.cancel(row.id)));
  });

  return app;
}

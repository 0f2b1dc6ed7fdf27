import { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../context.js';
import { branchDoc } from '../../present/index.js';
import { BranchPath, CreateBranchBody, NoQuery, RenameBranchBody, SessionPath } from '../schemas.js';
import { jsonBody, pathParams, query } from '../validate.js';

/** Branches (named refs): list, create at a turn, rename, delete. Names may hold '/', so the name is the rest of the path. */
export function branchRoutes(ctx: ServerContext): Hono<ServerEnv> {
  const { engine, access } = ctx;
  const app = new Hono<ServerEnv>();

  app.get('/sessions/:sessionId/branches', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    return c.json({ branches: (await engine.listBranches(sessionId)).map(branchDoc) });
  });

  app.post('/sessions/:sessionId/branches', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    const { name, at } = await jsonBody(c, CreateBranchBody);
    const ref = await engine.createBranch(sessionId, name, at);
    c.header('Location', `/sessions/${sessionId}/branches/${encodeURIComponent(ref.name)}`);
    return c.json(branchDoc(ref), 201);
  });

  app.patch('/sessions/:sessionId/branches/:name{.+}', async (c) => {
    const { sessionId, name } = pathParams(c, BranchPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    const body = await jsonBody(c, RenameBranchBody);
    return c.json(branchDoc(await engine.renameBranch(sessionId, name, body.name)));
  });

  app.delete('/sessions/:sessionId/branches/:name{.+}', async (c) => {
    const { sessionId, name } = pathParams(c, BranchPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    await engine.deleteBranch(sessionId, name);
    return c.body(null, 204);
  });

  return app;
}

import { Hono, type Context } from 'hono';
import type { SessionEngine, StartSessionInput } from '../../engine/SessionEngine.js';
import { ValidationError } from '../../errors/ValidationError.js';
import { parseOrThrow } from '../../kontext/validation.js';
import type { Session } from '../../model/index.js';
import type { ServerContext, ServerEnv } from '../context.js';
import { MalformedRequestError } from '../errors/MalformedRequestError.js';
import { PayloadTooLargeError } from '../errors/PayloadTooLargeError.js';
import { headDoc, httpImageAddress, sessionDoc, treeDoc } from '../../present/index.js';
import { CreateSessionBody, ForkBody, NoQuery, SessionPath, SessionSettings, UpdateSessionBody, UploadQuery } from '../schemas.js';
import { isJsonType, jsonBody, pathParams, query } from '../validate.js';

const RAW_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif', 'application/octet-stream']);
const FORM_FIELDS = new Set(['image', 'title', 'endpoint', 'params', 'budgetMicros']);

/** A session with its HEAD turn: what the page needs to draw it. */
export async function sessionDetail(engine: SessionEngine, session: Session) {
  return headDoc(session, session.headTurnId ? await engine.getTurn(session.headTurnId) : null, httpImageAddress);
}

/**
 * Sessions: create (from an uploaded image — multipart `image` or a raw `image/*` body — from
 * an http(s) `image_url`, or from a `prompt`), list, get, update, delete; plus tree and cost.
 */
export function sessionRoutes(ctx: ServerContext): Hono<ServerEnv> {
  const { engine, access } = ctx;
  const app = new Hono<ServerEnv>();

  app.get('/sessions', async (c) => {
    query(c, NoQuery);
    const sessions = await engine.listSessions(access.listFilter(c.get('owner')));
    return c.json({ sessions: sessions.map(sessionDoc) });
  });

  app.post('/sessions', async (c) => {
    const owner = c.get('owner');
    const input = await creationInput(c, ctx);
    const start = { ...input, owner } satisfies StartSessionInput;
    let session: Session;
    if (start.prompt !== undefined) {
      // A prompt start runs the text-to-image turn before answering; count it like any turn.
      const release = ctx.turns.reserve(owner);
      session = await ctx.turns.run(release, () => engine.startSession(start));
    } else {
      session = await engine.startSession(start);
    }
    c.header('Location', `/sessions/${session.id}`);
    return c.json(await sessionDetail(engine, session), 201);
  });

  app.get('/sessions/:sessionId', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    return c.json(await sessionDetail(engine, await access.session(c.get('owner'), sessionId)));
  });

  app.patch('/sessions/:sessionId', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    const body = await jsonBody(c, UpdateSessionBody);
    return c.json(await sessionDetail(engine, await engine.updateSession(sessionId, body)));
  });

  app.delete('/sessions/:sessionId', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    await engine.deleteSession(sessionId);
    access.forget(c.get('owner'));
    return c.body(null, 204);
  });

  app.post('/sessions/:sessionId/fork', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    const { turn, ...options } = await jsonBody(c, ForkBody);
    const at = await access.turn(c.get('owner'), sessionId, turn);
    const { session } = await engine.fork(at.id, options);
    c.header('Location', `/sessions/${session.id}`);
    return c.json(await sessionDetail(engine, session), 201);
  });

  app.get('/sessions/:sessionId/tree', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    return c.json(treeDoc(await engine.tree(sessionId), httpImageAddress));
  });

  app.get('/sessions/:sessionId/cost', async (c) => {
    const { sessionId } = pathParams(c, SessionPath);
    query(c, NoQuery);
    await access.session(c.get('owner'), sessionId);
    return c.json(await engine.cost(sessionId));
  });

  return app;
}

type CreationInput = Omit<StartSessionInput, 'owner' | 'signal'>;

/** Reads the three ways to start a session into one engine input, each validated with the same schemas. */
async function creationInput(c: Context<ServerEnv>, ctx: ServerContext): Promise<CreationInput> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (isJsonType(type)) {
    query(c, NoQuery);
    const { image_url, prompt, endpoint, ...rest } = await jsonBody(c, CreateSessionBody);
    const settings = { ...rest, endpoint };
    if (prompt !== undefined) return { ...settings, prompt };
    // Downloaded here, through the server's own guard (its `ssrf` settings, not the engine's),
    // and handed over as bytes: whatever the engine was opened with, a client's string never
    // reaches it as a path or URL.
    const bytes = await ctx.fetchImage(image_url!, { maxBytes: ctx.limits.imageBytes, signal: c.req.raw.signal, field: 'image_url' });
    return { ...settings, image: { bytes } };
  }
  if (type === 'multipart/form-data') {
    query(c, NoQuery);
    let form: FormData;
    try {
      form = await c.req.raw.formData();
    } catch (error) {
      throw new MalformedRequestError(`the multipart body could not be read: ${(error as Error).message}`);
    }
    const fields: Record<string, unknown> = {};
    let image: File | undefined;
    const pairs: [string, FormDataEntryValue][] = [];
    form.forEach((value, key) => pairs.push([key, value]));
    for (const [key, value] of pairs) {
      if (!FORM_FIELDS.has(key)) throw new ValidationError([{ field: key, message: 'is not a known field; allowed: image, title, endpoint, params, budgetMicros' }], 'form');
      if (key in fields || (key === 'image' && image)) throw new ValidationError([{ field: key, message: 'is given more than once' }], 'form');
      if (key === 'image') {
        if (typeof value === 'string') throw new ValidationError([{ field: 'image', message: 'must be a file' }], 'form');
        image = value;
      } else if (typeof value !== 'string') {
        throw new ValidationError([{ field: key, message: 'must be text, not a file' }], 'form');
      } else {
        fields[key] = value;
      }
    }
    if (!image) throw new ValidationError([{ field: 'image', message: 'is required (the image file)' }], 'form');
    // The body limit leaves room for multipart framing; the image itself gets the image limit.
    if (image.size > ctx.limits.imageBytes) throw new PayloadTooLargeError(ctx.limits.imageBytes, 'image');
    return { ...settingsFromText(fields, 'form'), image: { bytes: new Uint8Array(await image.arrayBuffer()) } };
  }
  if (type && RAW_IMAGE_TYPES.has(type)) {
    const q = query(c, UploadQuery);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) throw new MalformedRequestError('the request body is empty; send the image bytes');
    if (bytes.length > ctx.limits.imageBytes) throw new PayloadTooLargeError(ctx.limits.imageBytes, 'image');
    return { ...settingsFromText(q, 'query'), image: { bytes } };
  }
  throw new MalformedRequestError(
    `Content-Type '${type ?? 'none'}' cannot start a session; use application/json ({"image_url"} or {"prompt"}), multipart/form-data (field image) or an image/* body`,
  );
}

/** Form fields and query parameters are text: JSON `params` and a number `budgetMicros` are decoded before the schema sees them. */
function settingsFromText(fields: Record<string, unknown>, context: string) {
  const decoded: Record<string, unknown> = { ...fields };
  if (typeof fields.params === 'string') {
    try {
      decoded.params = JSON.parse(fields.params);
    } catch (error) {
      throw new MalformedRequestError(`params is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (typeof fields.budgetMicros === 'string' && /^\d{1,15}$/.test(fields.budgetMicros)) decoded.budgetMicros = Number(fields.budgetMicros);
  return parseOrThrow(SessionSettings, decoded, context);
}

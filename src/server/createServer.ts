import { randomBytes } from 'node:crypto';
import { Hono, type MiddlewareHandler } from 'hono';
import { allowedMethods } from './allowedMethods.js';
import type { ImageFetcher } from '../engine/images.js';
import type { SessionEngine } from '../engine/SessionEngine.js';
import { Access } from './access.js';
import { bearerAuth } from './auth.js';
import { bodyLimits } from './bodyLimits.js';
import type { ServerContext, ServerEnv } from './context.js';
import { errorResponse, send } from './errors/errorResponse.js';
import { loopbackGuard } from './loopbackGuard.js';
import { openApiDocument } from './openapi.js';
import { packageVersion } from './packagePaths.js';
import { branchRoutes } from './routes/branches.js';
import { bundleRoutes } from './routes/bundles.js';
import { eventRoutes } from './routes/events.js';
import { imageRoutes } from './routes/images.js';
import { metaRoutes } from './routes/meta.js';
import { navigationRoutes } from './routes/navigation.js';
import { pageRoutes } from './routes/page.js';
import { replayRoutes } from './routes/replay.js';
import { sessionRoutes } from './routes/sessions.js';
import { turnRoutes } from './routes/turns.js';
import { webhookRoutes } from './routes/webhooks.js';
import { StreamRegistry } from './sse.js';
import { createSsrfGuard, type SsrfGuardOptions } from '../net/ssrf/guard.js';
import { parseTokens, TokenTable, type TokenSpec } from './tokens.js';
import { TurnTracker } from './turnTracker.js';
import { mcpHttp } from '../mcp/http.js';

export interface CreateServerOptions {
  /**
   * Bearer tokens and their owners: `"alice:<token>,bob:<token>"` or `[{ owner, token }]`.
   * Default: `env.KONTEXT_TOKENS`. With none, the server has one local user (owner null) and
   * only answers on loopback names; `serve` then refuses a non-loopback host.
   */
  tokens?: TokenSpec | TokenTable;
  /** Where `KONTEXT_TOKENS` is read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Settings of the SSRF guard that downloads `image_url`s (allow-list, resolver, connect hook, limits). */
  ssrf?: SsrfGuardOptions;
  /** Replaces the SSRF guard altogether. Default `createSsrfGuard(ssrf)`. */
  fetchImage?: ImageFetcher;
  /** Largest JSON body. Default 1 MiB. */
  maxJsonBytes?: number;
  /** Largest image, uploaded or downloaded from a URL. Default 25 MiB (the engine's own input limit). */
  maxImageBytes?: number;
  /** Largest bundle upload. Default 512 MiB. */
  maxBundleBytes?: number;
  /** Turns one owner may have running at once before edits get 429. Default 8. */
  maxTurnsInFlightPerOwner?: number;
  /** Comment sent on idle event streams so proxies keep them open. Default 15 000 ms. */
  sseHeartbeatMs?: number;
  /** Serve the example chat editor at `/`. Default true. */
  page?: boolean;
  /** Where the server writes what went wrong on its side. Default `console.error`. */
  log?: (line: string) => void;
}

/** What {@link createServer} returns: the Hono app and what a host process needs to shut it down. */
export interface KontextServer {
  /** The Hono app: `app.fetch` for any runtime, `app.request(...)` in tests. */
  app: Hono<ServerEnv>;
  /** Whether requests need a bearer token. */
  authenticated: boolean;
  /**
   * Starts shutting down: ends every open event stream (and any opened later) and answers new
   * requests 503, since keep-alive connections can still bring them while turns settle.
   */
  beginShutdown(): void;
  /** Waits up to `timeoutMs` for turns running in the background; true when none is left. */
  settleTurns(timeoutMs: number): Promise<boolean>;
  /** Runs work (e.g. `engine.resume()`) in the background, counted by settleTurns; failures are logged. */
  runInBackground(what: string, work: () => Promise<unknown>): void;
  /** The OpenAPI document served at `/openapi.json`. */
  openapi(): ReturnType<typeof openApiDocument>;
}

const MiB = 1024 * 1024;
/** Room for multipart boundaries and the text fields around an uploaded image. */
const MULTIPART_OVERHEAD = 1 * MiB;

/**
 * Builds the HTTP API over a session engine: REST for sessions, turns, HEAD, branches,
 * replay, what-if, cost, export/import and images; server-sent events per session and turn;
 * `/openapi.json`; and the example chat editor at `/`. Every body and query is validated with
 * the zod schemas of src/server/schemas.ts; every error is `{ error: { code, message, details } }`.
 *
 * @example
 * const { engine } = openEngine({ dataDir: '.kontext' });
 * const { app } = createServer(engine, { tokens: 'alice:4c1f9e0b7a2d5e68' });
 * const res = await app.request('/sessions', { headers: { authorization: 'Bearer 4c1f9e0b7a2d5e68' } });
 */
export function createServer(engine: SessionEngine, options: CreateServerOptions = {}): KontextServer {
  const log = options.log ?? ((line: string) => console.error(`kontext serve: ${line}`));
  const tokens = options.tokens instanceof TokenTable ? options.tokens : parseTokens(options.tokens ?? (options.env ?? process.env).KONTEXT_TOKENS);
  const authenticated = tokens !== undefined;
  const imageBytes = options.maxImageBytes ?? 25 * MiB;
  const ctx: ServerContext = {
    engine,
    access: new Access(engine, authenticated),
    turns: new TurnTracker(options.maxTurnsInFlightPerOwner ?? 8, log),
    streams: new StreamRegistry(),
    fetchImage: options.fetchImage ?? createSsrfGuard({ maxBytes: imageBytes, ...options.ssrf }),
    limits: { jsonBytes: options.maxJsonBytes ?? 1 * MiB, imageBytes, uploadBytes: imageBytes + MULTIPART_OVERHEAD, bundleBytes: options.maxBundleBytes ?? 512 * MiB },
    epoch: randomBytes(6).toString('base64url'),
    heartbeatMs: options.sseHeartbeatMs ?? 15_000,
    log,
  };
  let document: ReturnType<typeof openApiDocument> | undefined;
  const openapi = () => (document ??= openApiDocument({ version: packageVersion(), auth: authenticated }));

  let shuttingDown = false;
  const app = new Hono<ServerEnv>();
  app.onError((error, c) => errorResponse(c, error, log));
  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length === 0) return send(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`);
    c.header('Allow', allowed.join(', '));
    return send(c, 405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allowed.join(', ')}`);
  });
  app.use('*', async (c, next) => {
    if (!shuttingDown) return next();
    c.header('Connection', 'close');
    c.header('Retry-After', '1');
    return send(c, 503, 'UNAVAILABLE', 'the server is shutting down; try again in a moment');
  });
  if (!authenticated) app.use('*', loopbackGuard());
  app.use('*', noSniff);

  app.route('/', metaRoutes(engine, openapi, authenticated));
  if (options.page ?? true) app.route('/', pageRoutes());

  // Authentication comes before the body limit, so a stranger cannot make us buffer 25 MiB.
  const auth = bearerAuth(tokens);
  // In Hono, '/sessions/*' also matches '/sessions' itself.
  for (const path of ['/sessions/*', '/images/*', '/imports']) app.use(path, auth);
  // MCP (Streamable HTTP) with the same tokens and owners. Mounted before the JSON body limit:
  // its transport reads the body itself, under a limit with room for a base64 image.
  const mcp = mcpHttp(ctx);
  app.use('/mcp', auth);
  app.route('/', mcp.app);
  app.use('*', bodyLimits(ctx.limits));
  // No bearer token here: each provider's signature is checked instead (src/webhooks/).
  app.route('/', webhookRoutes(engine));

  for (const routes of [sessionRoutes, turnRoutes, navigationRoutes, branchRoutes, replayRoutes, eventRoutes, bundleRoutes, imageRoutes]) {
    app.route('/', routes(ctx));
  }

  return {
    app,
    authenticated,
    beginShutdown: () => {
      shuttingDown = true;
      ctx.streams.closeAll();
      void mcp.closeAll();
    },
    settleTurns: (timeoutMs) => ctx.turns.settle(timeoutMs),
    runInBackground: (what, work) => ctx.turns.background(() => undefined, what, work),
    openapi,
  };
}

const noSniff: MiddlewareHandler = async function noSniff(c, next) {
  await next();
  c.res.headers.set('X-Content-Type-Options', 'nosniff');
};

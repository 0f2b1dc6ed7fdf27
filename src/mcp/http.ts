import { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../server/context.js';
import type { McpSessions } from './McpSessions.js';

export interface McpHttpOptions {
  /** MCP sessions one owner may hold open; opening one more closes their least recently used. Default 16. */
  maxSessionsPerOwner?: number;
  /** An MCP session unused for this long is closed when the next one opens. Default 30 minutes. */
  idleMs?: number;
  /** Default 512. */
  previewPixels?: number;
  now?: () => number;
}

/** What createServer mounts: the `/mcp` route and how to close every MCP session at shutdown. */
export interface McpHttp {
  app: Hono<ServerEnv>;
  /** The MCP sessions open now. */
  readonly size: number;
  closeAll(): Promise<void>;
}

/**
 * MCP over Streamable HTTP at `/mcp`, behind the server's bearer-token auth and per-owner
 * access (createServer mounts it). The MCP SDK is loaded by the first request to `/mcp`:
 * it takes about 200 ms to import, which a server (or an embedder's process) that never
 * speaks MCP should not pay at start.
 *
 * @example
 * const mcp = mcpHttp(ctx);
 * app.use('/mcp', bearerAuth(tokens));
 * app.route('/', mcp.app);
 */
export function mcpHttp(ctx: ServerContext, options: McpHttpOptions = {}): McpHttp {
  let sessions: Promise<McpSessions> | undefined;
  let loaded: McpSessions | undefined;
  const app = new Hono<ServerEnv>();
  app.all('/mcp', async (c) => {
    sessions ??= import('./McpSessions.js').then(({ McpSessions }) => (loaded = new McpSessions(ctx, options)));
    return (await sessions).handle(c.req.raw, c.get('owner'));
  });
  return {
    app,
    get size() {
      return loaded?.size ?? 0;
    },
    closeAll: async () => {
      await loaded?.closeAll();
    },
  };
}

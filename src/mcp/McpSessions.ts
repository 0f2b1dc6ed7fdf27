import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { ServerContext } from '../server/context.js';
import { createMcpServer } from './createMcpServer.js';
import type { McpHttpOptions } from './http.js';
import { DEFAULT_PREVIEW_PIXELS } from './options.js';

interface Entry {
  owner: string | null;
  server: McpServer;
  transport: WebStandardStreamableHTTPServerTransport;
  lastUsed: number;
}

/** Room for the JSON-RPC framing around a base64 image, which is 4/3 of its bytes. */
const FRAMING_BYTES = 1024 * 1024;

/**
 * The open MCP sessions of an HTTP server, by `Mcp-Session-Id`: each has its own McpServer
 * and transport, acting for the owner of the token that opened it. A request with another
 * owner's token gets the same 404 as an unknown session id: an MCP session is only ever its
 * opener's. Kept in memory: after a restart a client gets 404 and opens a new one, as MCP says.
 */
export class McpSessions {
  private readonly sessions = new Map<string, Entry>();
  private readonly maxPerOwner: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly maxRequestBodySize: number;

  constructor(private readonly ctx: ServerContext, private readonly options: McpHttpOptions = {}) {
    this.maxPerOwner = options.maxSessionsPerOwner ?? 16;
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.now = options.now ?? Date.now;
    this.maxRequestBodySize = Math.ceil(ctx.limits.imageBytes / 3) * 4 + FRAMING_BYTES;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Answers one request to `/mcp` for `owner` (already authenticated). */
  async handle(request: Request, owner: string | null): Promise<Response> {
    const id = request.headers.get('mcp-session-id');
    if (id !== null) {
      const entry = this.sessions.get(id);
      if (!entry || entry.owner !== owner) return Response.json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }, { status: 404 });
      entry.lastUsed = this.now();
      return entry.transport.handleRequest(request);
    }

    const { ctx } = this;
    const server = createMcpServer({
      engine: ctx.engine,
      owner,
      access: ctx.access,
      fetchImage: ctx.fetchImage,
      maxImageBytes: ctx.limits.imageBytes,
      previewPixels: this.options.previewPixels ?? DEFAULT_PREVIEW_PIXELS,
      turns: ctx.turns,
      redact: (value) => value,
      log: (line) => ctx.log(`mcp: ${line}`),
    });
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Room is made only for a session that is really opening, not for every stray request.
      onsessioninitialized: async (sessionId) => {
        await this.makeRoom(owner);
        this.sessions.set(sessionId, { owner, server, transport, lastUsed: this.now() });
      },
      maxRequestBodySize: this.maxRequestBodySize,
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    const response = await transport.handleRequest(request);
    // Anything but an initialize without a session id was refused: there is nothing to keep.
    if (transport.sessionId === undefined) await server.close();
    return response;
  }

  /** Closes every session (shutdown). Turns running in them go on: closing is not cancelling (see cancellation.ts). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((e) => e.server.close().catch(() => undefined)));
  }

  /** Closes idle sessions, and the owner's least recently used ones beyond their allowance. */
  private async makeRoom(owner: string | null): Promise<void> {
    const stale: Entry[] = [];
    for (const entry of this.sessions.values()) if (this.now() - entry.lastUsed > this.idleMs) stale.push(entry);
    const owned = [...this.sessions.values()].filter((e) => e.owner === owner && !stale.includes(e)).sort((a, b) => a.lastUsed - b.lastUsed);
    stale.push(...owned.slice(0, Math.max(0, owned.length - this.maxPerOwner + 1)));
    await Promise.all(stale.map((e) => e.server.close().catch(() => undefined)));
  }
}

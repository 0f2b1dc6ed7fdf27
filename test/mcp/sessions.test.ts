import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Hono } from 'hono';
import { describe, expect, it, onTestFinished } from 'vitest';
import { mcpHttp, type McpHttpOptions } from '../../src/mcp/http.js';
import { Access } from '../../src/server/access.js';
import type { ServerContext, ServerEnv } from '../../src/server/context.js';
import { StreamRegistry } from '../../src/server/sse.js';
import { TurnTracker } from '../../src/server/turnTracker.js';
import { engineOn } from './support.js';

/** `/mcp` in process, the owner taken from an `x-owner` header (createServer takes it from the token). */
function mcpApp(options: McpHttpOptions) {
  const engine = engineOn('local');
  const ctx: ServerContext = {
    engine,
    access: new Access(engine, true),
    turns: new TurnTracker(8, () => undefined),
    streams: new StreamRegistry(),
    fetchImage: async () => {
      throw new Error('no downloads in this test');
    },
    limits: { jsonBytes: 1 << 20, imageBytes: 1 << 20, uploadBytes: 2 << 20, bundleBytes: 1 << 20 },
    epoch: 'test',
    heartbeatMs: 15_000,
    log: () => undefined,
  };
  const mcp = mcpHttp(ctx, options);
  const app = new Hono<ServerEnv>();
  app.use('*', async (c, next) => {
    c.set('owner', c.req.header('x-owner') ?? null);
    return next();
  });
  app.route('/', mcp.app);
  onTestFinished(() => mcp.closeAll());
  const connect = async (owner: string) => {
    const transport = new StreamableHTTPClientTransport(new URL('http://mcp.test/mcp'), {
      requestInit: { headers: { 'x-owner': owner } },
      fetch: async (url, init) => app.fetch(new Request(url, init)),
    });
    const client = new Client({ name: 'kontext-mcp-test', version: '1.0.0' });
    await client.connect(transport);
    onTestFinished(() => client.close());
    return client;
  };
  return { mcp, connect };
}

describe('MCP sessions over HTTP are bounded', () => {
  it("opening one more than an owner's allowance closes their least recently used session, and no one else's", async () => {
    // Every reading of the clock is a later time: which session was used last is never a tie.
    let tick = 0;
    const { mcp, connect } = mcpApp({ maxSessionsPerOwner: 2, now: () => ++tick });
    const bob = await connect('bob');
    const first = await connect('alice');
    const second = await connect('alice');
    await first.listTools();
    expect(mcp.size).toBe(3);

    // `first` was used last, so `second` is the one to go.
    const third = await connect('alice');
    expect(mcp.size).toBe(3);
    await expect(second.listTools()).rejects.toThrow(/Session not found/);
    for (const client of [first, third, bob]) expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('a session unused for longer than idleMs is closed when the next one opens', async () => {
    let clock = 1_000_000;
    const { mcp, connect } = mcpApp({ idleMs: 60_000, now: () => clock });
    const idle = await connect('alice');
    const busy = await connect('bob');
    clock += 50_000;
    await busy.listTools();
    clock += 20_000;
    await connect('carol');
    expect(mcp.size).toBe(2);
    await expect(idle.listTools()).rejects.toThrow(/Session not found/);
    expect((await busy.listTools()).tools.length).toBeGreaterThan(0);
  });
});

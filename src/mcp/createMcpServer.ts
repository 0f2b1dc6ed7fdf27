import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { packageVersion } from '../server/packagePaths.js';
import type { McpContext, McpServerOptions } from './context.js';
import { registerResources } from './resources.js';
import { navigationTools } from './tools/navigation.js';
import { readTools } from './tools/reads.js';
import { replayTools } from './tools/replay.js';
import { sessionTools } from './tools/sessions.js';
import { turnTools } from './tools/turns.js';

const INSTRUCTIONS = `Image editing sessions on FLUX.1 Kontext, kept as a tree of turns like git commits.
Start with start_session (a picture, or a prompt), then edit: each edit continues from the picture at HEAD, so edits chain.
Nothing is ever overwritten: undo/redo/checkout move HEAD, editing from an older turn starts a branch, branch names a turn.
replay copies a path exactly (free); replay_fresh and what_if run turns again on the provider and cost money (what_if_plan prices a what-if first).
log draws the tree; cost shows the spend. Turns are named by id, unique prefix (4+ characters), branch name, HEAD or HEAD~N.
Results show a small preview of each picture; the original is the linked kontext://images/<hash> resource.`;

/**
 * One MCP server over the engine, for one connection: the tools (start_session, edit, pick,
 * undo, redo, checkout, branch, replay, replay_fresh, what_if_plan, what_if, log, cost, show,
 * list_sessions) and resources (sessions, trees, images), acting for `ctx.owner`. Connect it to
 * a transport: stdio (`kontext mcp`, see stdio.ts) or Streamable HTTP (`/mcp`, see http.ts).
 *
 * @example
 * const server = createMcpServer({ engine, owner: null, access: new Access(engine, false), fetchImage: createSsrfGuard(),
 *   maxImageBytes: 25 * 1024 * 1024, previewPixels: 512, redact: (v) => v, log: console.error });
 * await server.connect(new StdioServerTransport());
 */
export function createMcpServer(options: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'kontext-sessions', title: 'Kontext sessions', version: packageVersion() }, { instructions: INSTRUCTIONS });
  const ctx: McpContext = { ...options, connection: { closed: false } };
  server.server.onclose = () => {
    ctx.connection.closed = true;
  };
  sessionTools(server, ctx);
  turnTools(server, ctx);
  navigationTools(server, ctx);
  replayTools(server, ctx);
  readTools(server, ctx);
  registerResources(server, ctx);
  return server;
}

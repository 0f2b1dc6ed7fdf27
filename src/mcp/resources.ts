import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { isKontextError } from '../errors/KontextError.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import { sessionDoc, treeDoc } from '../present/index.js';
import { Hash, Id } from '../server/schemas.js';
import type { McpContext } from './context.js';
import { imageUri } from './images.js';

export const SESSIONS_URI = 'kontext://sessions';

export function treeUri(sessionId: string): string {
  return `kontext://sessions/${sessionId}/tree`;
}

/** MCP's code for a resource that does not exist (the spec's, not JSON-RPC's). */
const RESOURCE_NOT_FOUND = -32002;

/**
 * The resources: the caller's sessions, each session's tree (JSON, as the HTTP API's
 * `/sessions/:id/tree`) and each archived image by hash, byte for byte. Access is the HTTP
 * API's: another owner's session or image reads exactly like one that does not exist.
 */
export function registerResources(server: McpServer, ctx: McpContext): void {
  const { engine, access } = ctx;

  server.registerResource(
    'sessions',
    SESSIONS_URI,
    { title: 'Sessions', description: 'Your editing sessions, most recently changed first.', mimeType: 'application/json' },
    guarded(ctx, async (uri) => {
      const sessions = await engine.listSessions(access.listFilter(ctx.owner));
      return json(uri.href, { sessions: sessions.map(sessionDoc) });
    }),
  );

  server.registerResource(
    'session-tree',
    new ResourceTemplate('kontext://sessions/{sessionId}/tree', {
      list: async () => ({
        resources: (await engine.listSessions(access.listFilter(ctx.owner))).map((s) => ({
          uri: treeUri(s.id),
          name: `session-${s.id}-tree.json`,
          title: `Tree of ${s.title || s.id}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    { title: 'Session tree', description: 'Every turn of a session (params, seeds, cost, outputs), its branches and HEAD.', mimeType: 'application/json' },
    guarded(ctx, async (uri, variables) => {
      const sessionId = one(variables.sessionId);
      if (!Id.safeParse(sessionId).success) throw new NotFoundError('session', sessionId);
      await access.session(ctx.owner, sessionId);
      return json(uri.href, treeDoc(await engine.tree(sessionId), imageUri));
    }),
  );

  server.registerResource(
    'image',
    // Not listed: an archive can hold thousands; turns link to theirs.
    new ResourceTemplate('kontext://images/{hash}', { list: undefined }),
    { title: 'Archived image', description: 'An image of a turn, exactly as archived, by the sha256 of its bytes.' },
    guarded(ctx, async (uri, variables) => {
      const hash = one(variables.hash);
      const row = Hash.safeParse(hash).success && (await access.canReadBlob(ctx.owner, hash)) ? await engine.store.findBlob(hash) : undefined;
      if (!row) throw new NotFoundError('image', hash);
      const bytes = await engine.blobs.get(hash);
      return { contents: [{ uri: imageUri(hash), mimeType: row.contentType, blob: bytes.toString('base64') }] };
    }),
  );
}

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value) }] };
}

function one(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

type Reader<A extends unknown[]> = (uri: URL, ...rest: A) => Promise<ReadResourceResult>;

/**
 * A resource reader whose errors say `CODE: message` like a tool's, as a JSON-RPC error (a read
 * has no `isError` result): NOT_FOUND gets MCP's resource-not-found code; an unexpected error
 * is logged and sent without its text.
 */
function guarded<A extends unknown[]>(ctx: McpContext, read: Reader<A>): Reader<A> {
  return async (uri, ...rest) => {
    try {
      return ctx.redact(await read(uri, ...rest));
    } catch (error) {
      if (!isKontextError(error)) {
        ctx.log(`reading ${uri.href}: ${(error as Error)?.stack ?? String(error)}`);
        throw Object.assign(new Error('INTERNAL: internal error in the MCP server; see its log'), { code: ErrorCode.InternalError });
      }
      const code = error.code === 'NOT_FOUND' ? RESOURCE_NOT_FOUND : error.code === 'VALIDATION' ? ErrorCode.InvalidParams : ErrorCode.InternalError;
      throw Object.assign(new Error(ctx.redact(`${error.code}: ${error.message}`)), { code, data: { code: error.code, details: error.details ?? {} } });
    }
  };
}

import type { ImageFetcher } from '../engine/images.js';
import type { SessionEngine } from '../engine/SessionEngine.js';
import type { Access } from '../server/access.js';
import type { ConnectionState } from './cancellation.js';

/** Slots for turns run on an owner's behalf: the HTTP server's per-owner cap (TurnTracker), which shutdown also waits for. */
export interface TurnSlots {
  /** Takes a slot or throws RateLimitError; the returned function gives it back. */
  reserve(owner: string | null): () => void;
  /** Runs `work` under a reserved slot, giving it back when `work` settles. */
  run<T>(release: () => void, work: () => Promise<T>): Promise<T>;
}

/** What every tool and resource of one MCP connection works with. */
export interface McpContext {
  engine: SessionEngine;
  /** Whose sessions these are: the bearer token's owner over HTTP; null (the one local user) over stdio. */
  owner: string | null;
  /** Who may see which session and image: the HTTP API's own rules, so a session of another owner is invisible here too. */
  access: Access;
  /** Downloads image URLs an agent gives (the SSRF guard). */
  fetchImage: ImageFetcher;
  /** Largest picture accepted, downloaded or sent as bytes. */
  maxImageBytes: number;
  /** Longest side of the JPEG previews put in results, in pixels. */
  previewPixels: number;
  turns?: TurnSlots;
  /** Applied to every result before it is sent (the CLI scrubs the fal key from all it prints). */
  redact: <T>(value: T) => T;
  log: (line: string) => void;
  /** Set by createMcpServer: whether this connection has closed (see cancellation.ts). */
  connection: ConnectionState;
}

/** What a transport gives createMcpServer: everything but the connection's own state. */
export type McpServerOptions = Omit<McpContext, 'connection'>;

/** Runs work that may run turns under one of the owner's slots, when the transport keeps count (HTTP); as it is otherwise. */
export function withTurnSlot<T>(ctx: McpContext, work: () => Promise<T>): Promise<T> {
  if (!ctx.turns) return work();
  const release = ctx.turns.reserve(ctx.owner);
  return ctx.turns.run(release, work);
}

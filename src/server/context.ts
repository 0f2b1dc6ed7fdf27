import type { SessionEngine } from '../engine/SessionEngine.js';
import type { ImageFetcher } from '../engine/images.js';
import type { Access } from './access.js';
import type { StreamRegistry } from './sse.js';
import type { TurnTracker } from './turnTracker.js';

/** Hono variables set by the auth middleware: the owner of the request's token (null without tokens). */
export type ServerEnv = { Variables: { owner: string | null } };

/** What every route module receives: the engine and the server's shared machinery. */
export interface ServerContext {
  engine: SessionEngine;
  access: Access;
  turns: TurnTracker;
  streams: StreamRegistry;
  /** Downloads image URLs clients give (the SSRF guard). */
  fetchImage: ImageFetcher;
  /** `imageBytes`: the largest image itself; `uploadBytes`: the body carrying it (image plus multipart framing). */
  limits: { jsonBytes: number; imageBytes: number; uploadBytes: number; bundleBytes: number };
  /** Changes every time a server starts; prefixes SSE ids so a client never resumes from another process's numbering. */
  epoch: string;
  heartbeatMs: number;
  log: (line: string) => void;
}

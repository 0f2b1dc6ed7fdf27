/**
 * The HTTP server of kontext-sessions: REST + server-sent events over a SessionEngine, with
 * bearer-token owners, an SSRF-guarded image downloader and the example chat editor page.
 */
export { serve, DEFAULT_HOST, DEFAULT_PORT, type ServeOptions, type ServeListenOptions, type RunningServer } from './serve.js';
export { createServer, type CreateServerOptions, type KontextServer } from './createServer.js';
export { parseTokens, TokenTable, MIN_TOKEN_LENGTH, type TokenEntry, type TokenSpec } from './tokens.js';
export type { ServerEnv } from './context.js';
export type { ErrorBody } from './errors/errorResponse.js';
export { MalformedRequestError, PayloadTooLargeError, UnauthorizedError, CrossOriginError } from './errors/index.js';
export { createSsrfGuard, checkAddress, UnsafeUrlError, type SsrfGuardOptions, type LookupFn, type ConnectHook, type ConnectTarget, type UnsafeUrlReason } from '../net/ssrf/index.js';

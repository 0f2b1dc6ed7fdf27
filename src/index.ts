/**
 * kontext-sessions: multi-turn image editing sessions on FLUX.1 Kontext.
 * Start with `openEngine()` (store + archive + providers) or build a `SessionEngine` yourself.
 */
export * from './errors/index.js';
export * from './kontext/index.js';
export * from './engine/index.js';
export { createSsrfGuard, UnsafeUrlError, type SsrfGuardOptions, type UnsafeUrlReason, type LookupFn, type ConnectHook, type ConnectTarget } from './net/ssrf/index.js';
export { openEngine, type OpenEngineOptions, type OpenedEngine, type ProviderChoice } from './engine/openEngine.js';
export { SessionStore, canonicalJson, type NewSession, type NewTurn, type OpenStoreOptions } from './store/SessionStore.js';
export type { ChangeFeed, TurnChange } from './store/ChangeFeed.js';
export type { Session, Turn, Output, Branch, TurnParams, TurnKind, TurnStatus } from './model/index.js';
export { FileBlobStore, MemoryBlobStore, type BlobStore } from './blobs/index.js';
export type { Provider, ProgressEvent, SubmittedJob, ImageSource } from './providers/Provider.js';
export { createFalProvider } from './providers/fal/index.js';
export { createLocalProvider } from './providers/local/index.js';
export { logGraph, describeTurn, formatMicros } from './format/logGraph.js';
export { exportSession, importBundle } from './engine/bundle/index.js';

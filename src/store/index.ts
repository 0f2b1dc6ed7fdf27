export { SessionStore, SqliteSessionStore, canonicalJson, type NewSession, type NewTurn, type TurnPatch, type NewOutput, type NewBlob, type OpenStoreOptions, type TurnSummary, type SubtreeDeletion } from './SessionStore.js';
export { TURN_TRANSITIONS, IN_FLIGHT_STATUSES, canTransition } from './transitions.js';
export type { SessionRow, TurnRow, OutputRow, BlobRow, RefRow, TurnKind, TurnStatus } from './schema.js';
export type { ChangeFeed, TurnChange } from './ChangeFeed.js';
export { SqliteChangeFeed, type SqliteChangeFeedOptions, type PollTimer } from './sqlite/SqliteChangeFeed.js';

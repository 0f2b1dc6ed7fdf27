/**
 * The store's row types (dialect-neutral, see rows.ts). The SQLite tables are re-exported for
 * code that reads a SQLite database directly; PostgreSQL's are in postgres/schema.ts.
 */
export type { SessionRow, TurnRow, OutputRow, BlobRow, RefRow, TurnKind, TurnStatus } from './rows.js';
export { sessions, turns, outputs, blobs, refs } from './sqlite/schema.js';

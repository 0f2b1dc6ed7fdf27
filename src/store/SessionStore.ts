import type { BlobRepository, BranchRepository, LeaseRepository, SessionRepository, TurnRepository } from './repositories.js';
import { SqliteSessionStore, type OpenStoreOptions } from './sqlite/SqliteSessionStore.js';

/**
 * The durable tree of edit turns: what the engine, the CLI and the server depend on. Two
 * implementations: SQLite (sqlite/SqliteSessionStore.ts, the embedded default) and PostgreSQL
 * (postgres/PostgresSessionStore.ts, for several servers sharing one history).
 */
export interface SessionStore extends SessionRepository, TurnRepository, BranchRepository, LeaseRepository, BlobRepository {
  /** Closes the connection(s). In-flight turns stay resumable. */
  close(): void | Promise<void>;
}

/** `SessionStore.open(file)` / `SessionStore.inMemory()`: the SQLite store, as before the interface existed. */
export const SessionStore = {
  /** Opens a SQLite file (created and migrated as needed) or `:memory:`. */
  open(file: string, options: OpenStoreOptions = {}): SqliteSessionStore {
    return SqliteSessionStore.open(file, options);
  },
  inMemory(options: OpenStoreOptions = {}): SqliteSessionStore {
    return SqliteSessionStore.open(':memory:', options);
  },
};

export type {
  AppendOptions,
  BranchName,
  NewBlob,
  NewOutput,
  NewSession,
  NewTurn,
  SessionGraph,
  SessionPatch,
  SubtreeDeletion,
  TurnPatch,
  TurnSummary,
  SessionRepository,
  TurnRepository,
  BranchRepository,
  LeaseRepository,
  BlobRepository,
} from './repositories.js';
export type { OpenStoreOptions } from './sqlite/SqliteSessionStore.js';
export { MIN_ID_PREFIX, validateRefName } from './refNames.js';
export { canonicalJson } from './canonicalJson.js';
export { SqliteSessionStore };

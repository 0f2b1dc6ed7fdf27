import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from './packageRoot.js';
import * as schema from './schema.js';

export type KontextDatabase = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface OpenDatabaseOptions {
  /** How long a writer waits for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) a SQLite file or `:memory:`, with WAL, foreign keys and a
 * busy timeout, and applies every pending migration so an older file is brought up to date.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): KontextDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const client = new Database(file);
  client.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  if (file !== ':memory:') client.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose the last commit.
  client.pragma('synchronous = NORMAL');
  client.pragma('foreign_keys = ON');
  const db = drizzle(client, { schema }) as KontextDatabase;
  migrate(db, { migrationsFolder: join(packageRoot(), 'migrations') });
  return db;
}

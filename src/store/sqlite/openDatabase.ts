import Database from 'better-sqlite3';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { migrationsFolder as migrationsOf } from '../packageRoot.js';

export interface OpenDatabaseOptions {
  /** How long a writer waits for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) a SQLite file or `:memory:`, with WAL, foreign keys and a
 * busy timeout, and applies every pending migration so an older file is brought up to date.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const client = new Database(file);
  try {
    client.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (file !== ':memory:') {
      client.pragma('journal_mode = WAL');
      // Pages read through a memory map instead of one read() each: a new process listing a
      // long session (every CLI command is one) reads its first rows about twice as fast.
      client.pragma('mmap_size = 268435456');
    }
    // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose the last commit.
    client.pragma('synchronous = NORMAL');
    client.pragma('foreign_keys = ON');
    const migrationsFolder = migrationsOf('sqlite');
    if (migrationsPending(client, migrationsFolder)) runMigrations(client, migrationsFolder);
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
}

/**
 * Whether drizzle's migrator would apply anything: it applies every migration of the journal
 * newer than the newest one recorded in `__drizzle_migrations`, so this compares the two.
 * Asking first matters for start-up: loading drizzle and its migrator costs a short command
 * like `kontext log` over 100 ms, and an up-to-date database — nearly always — needs neither.
 */
export function migrationsPending(client: Database.Database, migrationsFolder: string): boolean {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
  const newest = Math.max(...journal.entries.map((e) => e.when));
  const recorded = client.prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
  if (!recorded) return true;
  const last = client.prepare('select created_at from __drizzle_migrations order by created_at desc limit 1').pluck().get() as number | string | undefined;
  return last === undefined || Number(last) < newest;
}

/** drizzle's own migrator, loaded only now (synchronously: opening a store is synchronous). */
function runMigrations(client: Database.Database, migrationsFolder: string): void {
  const require = createRequire(import.meta.url);
  const { drizzle } = require('drizzle-orm/better-sqlite3') as typeof import('drizzle-orm/better-sqlite3');
  const { migrate } = require('drizzle-orm/better-sqlite3/migrator') as typeof import('drizzle-orm/better-sqlite3/migrator');
  migrate(drizzle(client), { migrationsFolder });
}

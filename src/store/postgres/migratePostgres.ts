import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { migrationsFolder } from '../packageRoot.js';

/** Key of the advisory lock every migrator of a fleet takes, so one applies and the others wait, then find nothing to do. */
const MIGRATION_LOCK = 7_243_911_022;

/**
 * Applies every pending PostgreSQL migration (migrations/postgres/) under a session-level
 * `pg_advisory_lock`: several instances starting together serialize here instead of racing
 * to run the same DDL.
 */
export async function migratePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client), { migrationsFolder: migrationsFolder('postgres') });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await client.end();
  }
}

import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/store/SessionStore.js';
import { migrationsPending } from '../../src/store/sqlite/openDatabase.js';
import { migrationsFolder } from '../../src/store/packageRoot.js';
import { testTempDir } from '../support/testTempDir.js';

describe('SQLite migrations moved to migrations/sqlite/', () => {
  it('a database migrated from the old top-level migrations/ folder opens without re-applying anything and keeps its rows', async () => {
    const dir = testTempDir('kontext-layout-');
    // The old layout: the same drizzle-kit output directly under migrations/.
    const oldFolder = join(dir, 'migrations');
    cpSync(migrationsFolder('sqlite'), oldFolder, { recursive: true });
    const file = join(dir, 'old.db');
    const raw = new Database(file);
    migrate(drizzle(raw), { migrationsFolder: oldFolder });
    raw.prepare("insert into sessions (id, title, default_endpoint, created_at, updated_at) values ('s1', 'kept', 'e', 1, 1)").run();
    raw.prepare("insert into turns (id, session_id, parent_id, depth, kind, status, created_at, segment_id) values ('t0', 's1', null, 0, 'source', 'succeeded', 1, 't0')").run();
    const recorded = raw.prepare('select hash, created_at from __drizzle_migrations order by id').all();
    raw.close();

    const reopened = new Database(file);
    expect(migrationsPending(reopened, migrationsFolder('sqlite'))).toBe(false);
    reopened.close();
    const store = SessionStore.open(file);
    expect(store.sqlite.prepare('select hash, created_at from __drizzle_migrations order by id').all()).toEqual(recorded);
    expect((await store.getSession('s1')).title).toBe('kept');
    const child = await store.appendTurn({ sessionId: 's1', parentId: 't0', kind: 'edit' });
    expect(await store.pathIds(child.id)).toEqual(['t0', child.id]);
    store.close();
  });

});

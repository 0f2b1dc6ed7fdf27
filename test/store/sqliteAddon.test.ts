import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqliteAddonPath } from '../../src/store/sqliteAddon.js';

describe('sqliteAddonPath', () => {
  it("finds the compiled addon of the installed better-sqlite3, and it opens a database", () => {
    const installed = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
    const path = sqliteAddonPath();
    expect(path).toBe(join(installed, 'build', 'Release', 'better_sqlite3.node'));
    expect(existsSync(path!)).toBe(true);
    const db = new Database(':memory:', { nativeBinding: path });
    expect(db.prepare('select 6 * 7 as answer').get()).toEqual({ answer: 42 });
    db.close();
  });
});

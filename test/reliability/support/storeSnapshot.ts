import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteSessionStore, type SessionStore } from '../../../src/store/SessionStore.js';

/** Every table the store keeps, in an order that makes dumps comparable. */
const TABLES = ['sessions', 'turns', 'outputs', 'refs', 'blobs'] as const;

/**
 * A comparable picture of everything the store holds: all rows of all tables (as JSON, in
 * rowid order) and the files in the blob folder. Two equal snapshots mean nothing was
 * written — the check behind "bad input leaves the store unchanged".
 */
export interface StoreSnapshot {
  tables: Record<(typeof TABLES)[number], string>;
  blobFiles: number;
  /** sha256 over all of the above, for a one-line comparison. */
  digest: string;
}

export function snapshotStore(store: SessionStore, blobDir?: string): StoreSnapshot {
  if (!(store instanceof SqliteSessionStore)) throw new Error('snapshotStore reads a SQLite store');
  const client = store.sqlite;
  const tables = Object.fromEntries(TABLES.map((t) => [t, JSON.stringify(client.prepare(`select * from ${t} order by rowid`).all())])) as StoreSnapshot['tables'];
  const blobFiles = blobDir ? countFiles(blobDir) : 0;
  const digest = createHash('sha256').update(JSON.stringify({ tables, blobFiles })).digest('hex');
  return { tables, blobFiles, digest };
}

/** Which tables (and the blob count) differ between two snapshots. */
export function snapshotDiff(before: StoreSnapshot, after: StoreSnapshot): string[] {
  const changed: string[] = TABLES.filter((t) => before.tables[t] !== after.tables[t]);
  if (before.blobFiles !== after.blobFiles) changed.push(`blob files ${before.blobFiles} → ${after.blobFiles}`);
  return changed;
}

/** Files under `dir`, recursively (temporary `.tmp-*` files included: they are writes too). */
export function countFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    n += statSync(path).isDirectory() ? countFiles(path) : 1;
  }
  return n;
}

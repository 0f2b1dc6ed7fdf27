import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json and migrations/ (one folder per dialect). Found by walking up, because this
 * file runs both from src/ (tests, tsx) and from dist/src/ (the built CLI).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'migrations', 'sqlite', 'meta', '_journal.json')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('kontext-sessions: cannot find the migrations/ folder of the package');
    dir = up;
  }
}

/** The drizzle-kit migrations of one dialect. */
export function migrationsFolder(dialect: 'sqlite' | 'postgres'): string {
  return join(packageRoot(), 'migrations', dialect);
}

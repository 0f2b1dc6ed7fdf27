import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let found: string | null | undefined;

/**
 * The compiled better-sqlite3 addon of the better-sqlite3 this code imports, for its
 * `nativeBinding` option; undefined when it is not where a normal install builds it (then
 * better-sqlite3 looks for it itself, as it does by default).
 *
 * Why not let it look: it asks the `bindings` package, which reads a stack trace to find
 * its caller and tries a dozen folders in turn, in every new process: opening a database
 * in `node -e` took 18.9 ms over a bare `node -e 0` that way, 16.6 ms with the path given
 * (medians of 41 alternating runs), and every `kontext` command is a new process.
 */
export function sqliteAddonPath(): string | undefined {
  if (found === undefined) found = locate();
  return found ?? undefined;
}

function locate(): string | null {
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  } catch {
    return null;
  }
  // node-gyp and prebuild-install both put it here; a debug build is the one other place.
  for (const build of ['Release', 'Debug']) {
    const path = join(root, 'build', build, 'better_sqlite3.node');
    if (existsSync(path)) return path;
  }
  return null;
}

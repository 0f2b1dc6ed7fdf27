import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/**
 * The package root: the first folder holding package.json above this file. Walked up to,
 * because the code runs from src/server/ in tests and from dist/src/server/ when built.
 */
export function packageRootDir(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (cachedRoot = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('kontext-sessions: cannot find the package root (package.json) above the server code');
    dir = up;
  }
}

/** The example chat editor page the server serves at `/`. */
export function chatEditorDir(): string {
  return join(packageRootDir(), 'examples', 'chat-editor');
}

/** This package's version, for the OpenAPI document. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRootDir(), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

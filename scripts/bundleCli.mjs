// Bundles the `kontext` command into one CommonJS file, dist/kontext.cjs (package.json "bin").
//
// Why: a command is a new process each time, and Node's ES module loader pays per module
// (async reads, linking, a CommonJS translation for each package) where `require` does not:
// measured on a 2-core VM, `kontext log --graph --all` on 10,000 turns went from ~310 to
// ~280 ms with nothing else changed. The library itself stays ES modules (dist/src/).
//
// Packages stay outside the bundle and are required lazily, where the code first imports
// them, so `kontext log` still loads neither sharp, undici nor hono. Bundled instead: a
// package that offers no `require` entry (ES modules only, like nanoid: Node 20 before 20.19
// cannot require it), and commander, which every command loads: `require('commander')` took
// 16.6 ms over a bare `node -e 0` as its own files, 11.8 ms bundled (medians of 41 alternating
// runs). Not better-sqlite3, which every command loads too: its JavaScript must match the
// installed version of its compiled addon.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Whether a dependency can be required from CommonJS: it is CommonJS, or its exports map offers `require`. */
function requirable(name) {
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
  return manifest.type !== 'module' || JSON.stringify(manifest.exports ?? {}).includes('"require"');
}

/** Pure JavaScript that every command loads: cheaper as part of this one file. */
const ALWAYS_LOADED = new Set(['commander']);

const dependencies = Object.keys(pkg.dependencies ?? {});
const external = dependencies.filter((name) => requirable(name) && !ALWAYS_LOADED.has(name)).flatMap((name) => [name, `${name}/*`]);

await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(root, 'dist/kontext.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  // The code finds package.json, migrations/ and the chat page by walking up from its own
  // location, and loads drizzle's migrator with createRequire: both need this file's URL.
  define: { 'import.meta.url': '__kontextBundleUrl' },
  // "use strict" first: a banner ahead of esbuild's own directive would turn it into a no-op.
  banner: { js: '"use strict";\nconst __kontextBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});

import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ProviderChoice } from '../engine/openEngine.js';

/** Where the database lives when neither `--db` nor `KONTEXT_DB` says. */
export const DEFAULT_DB = '.kontext/kontext.db';

/** The options every command takes (see `kontext --help`). */
export interface GlobalOptions {
  /** Absolute path of the SQLite file; the image archive is `<its folder>/blobs`. */
  db: string;
  session: string | undefined;
  provider: ProviderChoice;
  json: boolean;
  debug: boolean;
  quiet: boolean;
}

/** Reads the global options as commander merged them for `command` (they may come before or after its name). */
export function readGlobals(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<Record<string, unknown>>();
  return {
    db: resolve(typeof o.db === 'string' && o.db !== '' ? o.db : DEFAULT_DB),
    session: typeof o.session === 'string' ? o.session : undefined,
    provider: (o.provider as ProviderChoice | undefined) ?? 'auto',
    json: o.json === true,
    debug: o.debug === true,
    quiet: o.quiet === true,
  };
}

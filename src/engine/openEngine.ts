import { join, resolve } from 'node:path';
import type { BlobStore } from '../blobs/BlobStore.js';
import { FileBlobStore } from '../blobs/FileBlobStore.js';
import { ValidationError } from '../errors/ValidationError.js';
import { FAL_KONTEXT_PRO, LOCAL_KONTEXT_SIM, type EndpointRegistry } from '../kontext/endpoints.js';
import { createFalProvider } from '../providers/fal/index.js';
import type { FalClientOptions } from '../providers/fal/options.js';
import { createLocalProvider } from '../providers/local/index.js';
import type { Provider } from '../providers/Provider.js';
import { SessionStore } from '../store/SessionStore.js';
import { SessionEngine, type EngineOptions } from './SessionEngine.js';

export type ProviderChoice = 'auto' | 'local' | 'fal';

export interface OpenEngineOptions extends Partial<Omit<EngineOptions, 'store' | 'blobs' | 'providers' | 'owns'>> {
  /** Folder of the database and the image archive. Default `.kontext` in the working directory. */
  dataDir?: string;
  /** The SQLite file. Default `<dataDir>/kontext.db`; `:memory:` for a throwaway session. */
  dbFile?: string;
  /** Which provider new sessions use: `auto` = fal when a key is set, else local. Default `auto`. */
  provider?: ProviderChoice;
  /** Options of the fal provider (its key defaults to `env.FAL_KEY`). */
  fal?: FalClientOptions;
  /** Where FAL_KEY and the fal URL overrides are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  endpoints?: EndpointRegistry;
  /**
   * Where images are archived. Default a folder `<dataDir>/blobs`. A fleet of servers passes one
   * bucket they share: `S3BlobStore.connect(…)` from `kontext-sessions/s3`. A store given here
   * stays yours to close.
   */
  blobs?: BlobStore;
}

export interface OpenedEngine {
  engine: SessionEngine;
  /** The provider new sessions use, and the sentence saying so (printed once by the CLI and the demo). */
  provider: 'local' | 'fal';
  notice: string;
  /** The same as `engine.close()`: the engine, its providers and the database. In-flight turns stay resumable. */
  close(): Promise<void>;
}

/**
 * Opens the store and archive under `dataDir` and builds an engine with the right providers:
 * the local simulator always (it is free and offline), fal too when a key is available.
 *
 * @example
 * const { engine, notice } = openEngine({ dataDir: '.kontext' });
 * console.error(notice); // "provider: local simulator (no FAL_KEY set) — images are simulated, not Kontext"
 */
export function openEngine(options: OpenEngineOptions = {}): OpenedEngine {
  const env = options.env ?? process.env;
  const choice = options.provider ?? 'auto';
  if (!['auto', 'local', 'fal'].includes(choice)) {
    throw new ValidationError([{ field: 'provider', message: `'${choice}' is not allowed; allowed: auto, local, fal` }]);
  }
  const key = options.fal?.key ?? env.FAL_KEY;
  const hasKey = typeof key === 'string' && key.length > 0;
  if (choice === 'fal' && !hasKey) throw new ValidationError([{ field: 'provider', message: "'fal' needs a key: set FAL_KEY (or choose --provider local)" }]);
  const chosen: 'local' | 'fal' = choice === 'auto' ? (hasKey ? 'fal' : 'local') : choice;

  const providers: Provider[] = [];
  const local = createLocalProvider();
  if (hasKey) providers.push(createFalProvider({ ...options.fal, env, key, endpoints: options.endpoints }));
  providers.push(local);
  if (chosen === 'local') providers.reverse();

  const dataDir = resolve(options.dataDir ?? '.kontext');
  const dbFile = options.dbFile ?? join(dataDir, 'kontext.db');
  const store = SessionStore.open(dbFile);
  const blobs = options.blobs ?? new FileBlobStore(join(dataDir, 'blobs'));
  const engine = new SessionEngine({
    ...options,
    store,
    blobs,
    providers,
    defaultEndpoint: options.defaultEndpoint ?? (chosen === 'fal' ? FAL_KONTEXT_PRO : LOCAL_KONTEXT_SIM),
    // Opened here, so the engine closes them with itself: providers first, the database last.
    owns: [...providers, store],
  });
  const notice =
    chosen === 'fal'
      ? `provider: fal (${FAL_KONTEXT_PRO}, FAL_KEY is set)`
      : `provider: local simulator (${choice === 'auto' ? 'no FAL_KEY set' : 'chosen'}) — images are simulated offline, not made by Kontext`;
  return { engine, provider: chosen, notice, close: () => engine.close() };
}

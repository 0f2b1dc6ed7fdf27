import { join, resolve } from 'node:path';
import type { BlobStore } from '../blobs/BlobStore.js';
import { FileBlobStore } from '../blobs/FileBlobStore.js';
import { ValidationError } from '../errors/ValidationError.js';
import { BFL_KONTEXT_PRO } from '../kontext/bflEndpoints.js';
import { FAL_KONTEXT_PRO, LOCAL_KONTEXT_SIM, type EndpointRegistry } from '../kontext/endpoints.js';
import { createBflProvider, type BflClientOptions } from '../providers/bfl/index.js';
import { createReplicateProvider, type ReplicateClientOptions } from '../providers/replicate/index.js';
import { createFalProvider } from '../providers/fal/index.js';
import type { FalClientOptions } from '../providers/fal/options.js';
import { createLocalProvider } from '../providers/local/index.js';
import type { Provider } from '../providers/Provider.js';
import { SessionStore } from '../store/SessionStore.js';
import { SqliteChangeFeed } from '../store/sqlite/SqliteChangeFeed.js';
import { resolveWebhookSettings, type WebhookOptions } from '../webhooks/settings.js';
import { SessionEngine, type EngineOptions } from './SessionEngine.js';

export type ProviderChoice = 'auto' | 'local' | 'fal' | 'bfl';

export interface OpenEngineOptions extends Partial<Omit<EngineOptions, 'store' | 'blobs' | 'providers' | 'owns' | 'webhooks'>> {
  /**
   * Provider webhooks. On when `publicUrl` (default `env.KONTEXT_PUBLIC_URL`) is set: the URL
   * fal, BFL and Replicate can reach `kontext serve` at. See {@link WebhookOptions} for the rest
   * (FAL_JWKS_URL, REPLICATE_WEBHOOK_SECRET, BFL_WEBHOOK_SECRET, KONTEXT_WEBHOOK_FALLBACK_MS).
   */
  webhooks?: WebhookOptions;
  /** Folder of the database and the image archive. Default `.kontext` in the working directory. */
  dataDir?: string;
  /** The SQLite file. Default `<dataDir>/kontext.db`; `:memory:` for a throwaway session. */
  dbFile?: string;
  /** Which provider new sessions use: `auto` = fal when FAL_KEY is set, else BFL when BFL_API_KEY is, else local. Default `auto`. */
  provider?: ProviderChoice;
  /** Options of the fal provider (its key defaults to `env.FAL_KEY`). */
  fal?: FalClientOptions;
  /** Options of the Black Forest Labs provider (its key defaults to `env.BFL_API_KEY`, its base to `env.BFL_API_URL`). */
  bfl?: BflClientOptions;
  /** Options of the Replicate provider, configured when `env.REPLICATE_API_TOKEN` (or its `key`) is set. */
  replicate?: ReplicateClientOptions;
  /** Where FAL_KEY, BFL_API_KEY and the URL overrides are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  endpoints?: EndpointRegistry;
  /**
   * Where images are archived. Default a folder `<dataDir>/blobs`. A fleet of servers passes one
   * bucket they share: `S3BlobStore.connect(…)` from `kontext-sessions/s3`. A store given here
   * stays yours to close.
   */
  blobs?: BlobStore;
  /**
   * Re-publish on `engine.events` the turns other processes write to the same database file
   * (a `kontext edit` in a terminal beside `kontext serve`), so event streams show them live.
   * Default true for a file, false for `:memory:`; a `changeFeed` given instead is used as is.
   */
  liveUpdates?: boolean;
}

export interface OpenedEngine {
  engine: SessionEngine;
  /** The provider new sessions use, and the sentence saying so (printed once by the CLI and the demo). */
  provider: 'local' | 'fal' | 'bfl';
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
  if (!['auto', 'local', 'fal', 'bfl'].includes(choice)) {
    throw new ValidationError([{ field: 'provider', message: `'${choice}' is not allowed; allowed: auto, local, fal, bfl` }]);
  }
  const key = options.fal?.key ?? env.FAL_KEY;
  const hasKey = typeof key === 'string' && key.length > 0;
  if (choice === 'fal' && !hasKey) throw new ValidationError([{ field: 'provider', message: "'fal' needs a key: set FAL_KEY (or choose --provider local)" }]);
  const bflKey = options.bfl?.key ?? env.BFL_API_KEY;
  const hasBflKey = typeof bflKey === 'string' && bflKey.length > 0;
  if (choice === 'bfl' && !hasBflKey) throw new ValidationError([{ field: 'provider', message: "'bfl' needs a key: set BFL_API_KEY (or choose --provider local)" }]);
  // Checked before anything is opened, so a bad URL leaves no database open.
  const webhooks = resolveWebhookSettings(options.webhooks, env);
  const chosen: 'local' | 'fal' | 'bfl' = choice === 'auto' ? (hasKey ? 'fal' : hasBflKey ? 'bfl' : 'local') : choice;

  // Every provider with a key is configured, so one session's turns may use several; the
  // chosen one goes first (new sessions default to it).
  const providers: Provider[] = [];
  if (hasKey) providers.push(createFalProvider({ ...options.fal, env, key, endpoints: options.endpoints }));
  if (hasBflKey) providers.push(createBflProvider({ ...options.bfl, env, key: bflKey, ...(options.endpoints ? { endpoints: options.endpoints } : {}) }));
  const replicateKey = options.replicate?.key ?? env.REPLICATE_API_TOKEN;
  if (typeof replicateKey === 'string' && replicateKey.length > 0) providers.push(createReplicateProvider({ ...options.replicate, env, key: replicateKey, ...(options.endpoints ? { endpoints: options.endpoints } : {}) }));
  providers.push(createLocalProvider());
  providers.sort((a, b) => Number(b.name === chosen) - Number(a.name === chosen));

  const dataDir = resolve(options.dataDir ?? '.kontext');
  const dbFile = options.dbFile ?? join(dataDir, 'kontext.db');
  const store = SessionStore.open(dbFile);
  const blobs = options.blobs ?? new FileBlobStore(join(dataDir, 'blobs'));
  const feed = !options.changeFeed && dbFile !== ':memory:' && (options.liveUpdates ?? true) ? new SqliteChangeFeed(dbFile) : undefined;
  const engine = new SessionEngine({
    ...options,
    store,
    blobs,
    providers,
    changeFeed: options.changeFeed ?? feed,
    webhooks,
    defaultEndpoint: options.defaultEndpoint ?? { fal: FAL_KONTEXT_PRO, bfl: BFL_KONTEXT_PRO, local: LOCAL_KONTEXT_SIM }[chosen],
    // Opened here, so the engine closes them with itself: providers first, the database last.
    owns: [...providers, ...(feed ? [feed] : []), store],
  });
  const notice =
    chosen === 'fal'
      ? `provider: fal (${FAL_KONTEXT_PRO}, FAL_KEY is set)`
      : chosen === 'bfl'
        ? `provider: bfl (${BFL_KONTEXT_PRO}, BFL_API_KEY is set)`
        : `provider: local simulator (${choice === 'auto' ? 'no FAL_KEY set' : 'chosen'}) — images are simulated offline, not made by Kontext`;
  return { engine, provider: chosen, notice, close: () => engine.close() };
}

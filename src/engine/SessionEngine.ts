import { hostname } from 'node:os';
import { nanoid } from 'nanoid';
import type { BlobStore } from '../blobs/BlobStore.js';
import { DEFAULT_MAX_BLOB_BYTES } from '../blobs/FileBlobStore.js';
import { BudgetExceededError } from '../errors/BudgetExceededError.js';
import { CancelledError } from '../errors/CancelledError.js';
import { ConflictError } from '../errors/ConflictError.js';
import { ValidationError } from '../errors/ValidationError.js';
import { EndpointRegistry, estimateCostMicros, type EndpointSpec } from '../kontext/endpoints.js';
import { checkPrompt } from '../kontext/checkPrompt.js';
import { KontextParamsOverrides } from '../kontext/schemas.js';
import { parseOrThrow } from '../kontext/validation.js';
import type { Provider } from '../providers/Provider.js';
import type { SessionStore, SubtreeDeletion } from '../store/SessionStore.js';
import type { Branch, Session, Turn } from '../model/index.js';
import { branchFromRow, sessionFromRow, turnFromRow } from '../model/fromRows.js';
import type { OutputRow, SessionRow, TurnKind, TurnRow } from '../store/schema.js';
import { IN_FLIGHT_STATUSES } from '../store/transitions.js';
import { exportSession, importBundle } from './bundle/index.js';
import { collectGarbage, type GarbageOptions, type GarbageReport } from './collectGarbage.js';
import { forkSession, type ForkOptions, type ForkResult } from './fork.js';
import { EventBus } from './EventBus.js';
import { ChangeRelay } from './ChangeRelay.js';
import type { ChangeFeed } from '../store/ChangeFeed.js';
import type { EngineEvent, GapEvent } from './events.js';
import type { EventSubscription, SubscriptionFilter } from './EventSubscription.js';
import { FairScheduler } from './FairScheduler.js';
import { createSsrfGuard, type SsrfGuardOptions } from '../net/ssrf/guard.js';
import { archiveImage, DEFAULT_MAX_INPUT_BYTES, readImageInput, type ImageFetcher, type ImageInput } from './images.js';
import { archiveReferences, type ReferenceInput } from './references.js';
import { withImages, withoutImages } from '../kontext/imageFields.js';
import { checkReferenceCount } from '../kontext/referenceCount.js';
import { KeyedMutex } from './KeyedMutex.js';
import { replayPath, type ReplayOptions, type ReplayReport } from './replay.js';
import { resolveEditBase, resolveTurnRef } from './resolveTurnRef.js';
import { whatIf, type WhatIfChange, type WhatIfResult } from './whatIf.js';
import { TurnRunner } from './TurnRunner.js';
import type { WebhookSettings } from '../webhooks/settings.js';
import { WebhookHints } from '../webhooks/WebhookHints.js';
import { WebhookReceiver } from '../webhooks/WebhookReceiver.js';
import type { ReplicateProvider } from '../providers/replicate/index.js';
import { driftOf, qualityAfterTurn } from '../quality/afterTurn.js';
import { pinAspect } from '../quality/pinAspect.js';
import { rootImageOf } from '../quality/rootImage.js';
import { resolveQuality } from '../quality/defaults.js';
import { QualitySettingsSchema } from '../quality/settings.js';
import type { QualitySettings, TurnQualityOptions, TurnSizes } from '../quality/types.js';

/** A whole session: its turns (parents before children) and branches. */
export interface SessionTree {
  session: Session;
  turns: Turn[];
  branches: Branch[];
}

export interface EngineOptions {
  store: SessionStore;
  blobs: BlobStore;
  /** The providers that can run turns, by their `name` (`fal`, `local`). */
  providers: readonly Provider[];
  endpoints?: EndpointRegistry;
  /** Endpoint of new sessions when none is given. Default: the first configured provider's edit endpoint. */
  defaultEndpoint?: string;
  /** Provider requests in flight at once, across all sessions. Default 8. */
  maxInFlight?: number;
  /**
   * Whether `startSession({ image: { path } })` may read local files. Only for paths that come
   * from someone who may read this machine's files anyway (the CLI's user); a backend passing a
   * client's path through would let the client read them. Default false: `{ path }` is refused.
   */
  allowLocalFiles?: boolean;
  /**
   * Settings of the default fetcher of `{ url }` images, the SSRF guard: only public addresses
   * unless `allowLoopback`, `allowPrivate` or `allowHosts` say otherwise. Default `{}`.
   */
  ssrf?: SsrfGuardOptions;
  /** Replaces the SSRF guard that downloads `{ url }` images altogether. Default `createSsrfGuard(ssrf)`. */
  fetchImage?: ImageFetcher;
  /** Largest input image accepted. Default 25 MiB. */
  maxInputBytes?: number;
  /** Largest output image archived. Default 50 MiB. */
  maxOutputBytes?: number;
  /** How long a process's claim on a running turn lasts without renewal. Default 30 s. */
  leaseTtlMs?: number;
  now?: () => number;
  /**
   * Turn writes of other processes sharing the store (a CLI beside a server, the servers of a
   * fleet), re-published on `events` as if this engine had run them (see ChangeRelay). Default
   * none. The feed stays yours to close, unless it is in `owns`.
   */
  changeFeed?: ChangeFeed;
  /**
   * Provider webhooks (resolved by `resolveWebhookSettings`; openEngine reads KONTEXT_PUBLIC_URL).
   * With them, fal, BFL and Replicate jobs are asked to call `<publicUrl>/webhooks/<provider>`,
   * and turns wait for that call instead of polling, until a fallback deadline. Default: none.
   */
  webhooks?: WebhookSettings;
  /**
   * What the engine closes with itself (openEngine passes the store and providers it opened).
   * Nothing else it was given is closed: a store or provider you pass in stays yours.
   */
  owns?: readonly { close?(): unknown }[];
}

/** What `resume()` did with the turns it found unfinished. */
export interface ResumeReport {
  /** Turns this engine carried to their end (succeeded, failed or cancelled). */
  resumed: Turn[];
  /** Turns a live process (another, or this one) is running: left to it. */
  heldElsewhere: string[];
  /** Turns of a provider not configured here (fal without a key): left for an engine that has it. */
  unconfigured: { turnId: string; provider: string }[];
}

export interface StartSessionInput {
  /** Start from this image… */
  image?: ImageInput;
  /** …or generate the first image from this prompt (text-to-image root turn). */
  prompt?: string;
  title?: string;
  owner?: string | null;
  /** Edit endpoint every turn uses unless it overrides it. */
  endpoint?: string;
  /** Params every turn inherits unless it overrides them (validated like a request's). */
  params?: KontextParamsOverrides;
  /** Spending cap in micro-dollars. */
  budgetMicros?: number | null;
  /** Edit-quality settings: size pinning (on), resize back to the source size (off), drift warning thresholds. */
  quality?: QualitySettings;
  signal?: AbortSignal;
}

/** A turn started by `startEdit`, in the style of a Temporal workflow handle. */
export interface TurnHandle {
  /** The turn as just written: pending (or succeeded already, for a reused result). */
  readonly turn: Turn;
  /** The turn once finished: succeeded, failed or cancelled (rejects only if it could not be run at all). */
  result(): Promise<Turn>;
  /** Cancels it (on the provider too); resolves with the turn as it ended. */
  cancel(): Promise<Turn>;
  /** This turn's events from its creation to its final event; the first call's listened from the start. */
  events(): AsyncIterableIterator<EngineEvent | GapEvent>;
}

export interface EditOptions {
  /** Turn to continue from (id, unique prefix, branch name, `HEAD~1`). Default HEAD. */
  from?: string;
  /** Which output of the parent to continue from. Default the parent's picked output. */
  candidate?: number;
  /** Endpoint for this turn only. */
  endpoint?: string;
  /** Reuse a matching earlier result: `auto` only for a fixed seed (default), `always`, or `never`. */
  memo?: 'auto' | 'always' | 'never';
  /** Keep the parent's pixels where this edit did not change the picture. Default: the session's setting (off). */
  preserveRegions?: boolean;
  /**
   * Reference images sent beside the chained one (a style, a face, an object to place), in
   * order: archived with the turn before it is written. At most the endpoint's
   * `capabilities.maxReferences`; more is refused before anything is read or sent.
   */
  references?: readonly ReferenceInput[];
  signal?: AbortSignal;
}

/** What planning a turn reads of its parent: a store row and a public Turn both have it. */
export type TurnParent = Pick<TurnRow, 'id' | 'sessionId' | 'status' | 'selectedOutput'>;

/** Internal description of a turn to create and run. */
export interface TurnPlan {
  sessionId: string;
  parent: TurnParent | null;
  kind: TurnKind;
  endpoint: EndpointSpec;
  prompt: string;
  /** Validated request without its images. */
  params: Record<string, unknown>;
  /** Archived reference images (blob hashes) sent beside the chained one. Default none. */
  references?: readonly string[];
  candidate: number | undefined;
  memo: 'auto' | 'always' | 'never';
  originTurnId?: string | null;
  originKind?: TurnRow['originKind'];
  /** Move HEAD to the new turn (and advance the attached branch when the parent is its tip). */
  moveHead: boolean;
  /**
   * A follow-up typed while its parent still runs: the turn is written at once and waits for the
   * parent in the background (edits only; replays and what-ifs chain finished turns).
   */
  parentMayBeUnfinished?: boolean;
  /** The parent's outputs, read with it, when the caller has them (spares a read). */
  parentOutputs?: OutputRow[];
  /** Sizes known when the turn is written (input, source, pinned aspect ratio). */
  sizes?: TurnSizes;
  qualityOptions?: TurnQualityOptions;
}

const IMAGE_URL_PLACEHOLDER = 'pending:image';

/** A spending cap as given (undefined or null: none), refused unless a whole non-negative number. */
function checkBudget<T extends number | null | undefined>(budgetMicros: T): T {
  if (budgetMicros !== undefined && budgetMicros !== null && (!Number.isInteger(budgetMicros) || budgetMicros < 0)) {
    throw new ValidationError([{ field: 'budgetMicros', message: `${typeof budgetMicros === 'string' ? JSON.stringify(budgetMicros) : String(budgetMicros)} is not a whole non-negative number of micro-dollars` }]);
  }
  return budgetMicros;
}

/**
 * The session engine: a chat's tree of edit turns, run through providers and kept in the
 * store. Every turn is written before it is submitted and its request id the moment the
 * submit answers, so a crash never loses (or pays twice for) a result.
 *
 * @example
 * const engine = new SessionEngine({ store, blobs, providers: [createLocalProvider()] });
 * const session = await engine.startSession({ image: { url: 'https://example.com/photo.png' } });
 * const turn = await engine.edit(session.id, 'make it night');
 */
export class SessionEngine {
  readonly store: SessionStore;
  readonly blobs: BlobStore;
  readonly endpoints: EndpointRegistry;
  readonly events: EventBus;
  readonly defaultEndpoint: string;
  /** `host:pid:random`, the holder name on turns this engine is running. */
  readonly engineId: string;
  private readonly leaseTtlMs: number;
  readonly scheduler: FairScheduler;
  private readonly providers: Map<string, Provider>;
  private readonly sessionLocks = new KeyedMutex();
  private readonly fetchImage: ImageFetcher;
  private readonly maxInputBytes: number;
  private readonly allowLocalFiles: boolean;
  readonly runner: TurnRunner;
  /** Verifies and acts on provider webhooks (what `POST /webhooks/<provider>` calls); undefined without a public URL. */
  readonly webhooks: WebhookReceiver | undefined;
  private readonly owns: readonly { close?(): unknown }[];
  private readonly relay: ChangeRelay | undefined;
  private readonly now: () => number;
  private closed = false;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.blobs = options.blobs;
    this.endpoints = options.endpoints ?? new EndpointRegistry();
    this.providers = new Map(options.providers.map((p) => [p.name, p]));
    const firstProvider = options.providers[0]?.name;
    this.defaultEndpoint =
      options.defaultEndpoint ?? this.endpoints.list().find((e) => e.kind === 'edit' && e.provider === firstProvider)?.id ?? 'fal-ai/flux-pro/kontext';
    this.endpoints.get(this.defaultEndpoint, 'defaultEndpoint');
    this.events = new EventBus(1000, options.now);
    this.scheduler = new FairScheduler(options.maxInFlight ?? 8);
    this.maxInputBytes = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
    this.fetchImage = options.fetchImage ?? createSsrfGuard({ maxBytes: this.maxInputBytes, ...options.ssrf });
    this.allowLocalFiles = options.allowLocalFiles === true;
    this.engineId = `${hostname()}:${process.pid}:${nanoid(6)}`;
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.owns = options.owns ?? [];
    this.now = options.now ?? Date.now;
    const now = this.now;
    const hints = options.webhooks && new WebhookHints();
    this.runner = new TurnRunner({
      store: this.store,
      blobs: this.blobs,
      endpoints: this.endpoints,
      events: this.events,
      scheduler: this.scheduler,
      provider: (name) => this.provider(name),
      engineId: this.engineId,
      leaseTtlMs: this.leaseTtlMs,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_BLOB_BYTES,
      now,
      ...(options.webhooks && hints ? { webhooks: { settings: options.webhooks, hints } } : {}),
    });
    this.relay = options.changeFeed
      ? new ChangeRelay({ feed: options.changeFeed, store: this.store, events: this.events, engineId: this.engineId, now })
      : undefined;
    this.webhooks =
      options.webhooks && hints
        ? new WebhookReceiver({
            settings: options.webhooks,
            hints,
            now,
            findTurn: (provider, requestId) => this.store.findInFlightTurnByRequest(provider, requestId),
            // Nobody waits for it here: take the turn up if its holder is gone (a live one's own wait or fallback poll finishes it).
            resume: (turnId) => void this.runner.run(turnId, { onlyIfClaimable: true }).catch(() => undefined),
            replicateSecret: async () => (this.providers.get('replicate') as ReplicateProvider | undefined)?.webhookSecret(),
          })
        : undefined;
  }

  /** Stops lease renewal and aborts nothing: turns in flight stay resumable by request id. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.runner.close();
    await this.relay?.close();
    for (const resource of this.owns) await resource.close?.();
  }

  /** `await using engine = openEngine().engine`: closes like close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The provider of that name, or a clear error saying how to configure it. */
  provider(name: string): Provider {
    const provider = this.providers.get(name);
    if (!provider) {
      const hint = name === 'fal' ? ' (set FAL_KEY, or choose a local endpoint)' : name === 'bfl' ? ' (set BFL_API_KEY, or choose a local endpoint)' : '';
      throw new ValidationError([
        { field: 'provider', message: `'${name}' is not configured${hint}; configured: ${[...this.providers.keys()].join(', ') || 'none'}` },
      ]);
    }
    return provider;
  }

  get providerNames(): string[] {
    return [...this.providers.keys()];
  }

  // ------------------------------------------------------------------ sessions

  /**
   * Starts a session from an image (root turn = the image, no provider call) or from a
   * prompt (root turn = a text-to-image generation). HEAD is attached to branch `main`.
   */
  async startSession(input: StartSessionInput): Promise<Session> {
    if ((input.image === undefined) === (input.prompt === undefined)) {
      throw new ValidationError([{ field: 'image', message: 'give exactly one of an image or a prompt to start a session' }]);
    }
    const endpoint = this.endpoints.get(input.endpoint ?? this.defaultEndpoint);
    const editEndpoint = this.endpoints.editSiblingOf(endpoint.id) ?? endpoint;
    if (editEndpoint.kind !== 'edit') throw new ValidationError([{ field: 'endpoint', message: `'${endpoint.id}' has no edit endpoint to continue a session with` }]);
    const params = parseOrThrow(KontextParamsOverrides, input.params ?? {}, 'params');
    refuseParamsNotTaken(editEndpoint, params);
    const quality = parseOrThrow(QualitySettingsSchema, input.quality ?? {}, 'quality') as QualitySettings;
    checkBudget(input.budgetMicros);
    this.provider(editEndpoint.provider);

    if (input.image !== undefined) {
      const { bytes, sourceUrl } = await readImageInput(input.image, {
        fetchImage: this.fetchImage,
        maxBytes: this.maxInputBytes,
        allowLocalFiles: this.allowLocalFiles,
        signal: input.signal,
      });
      const blob = await archiveImage(this, bytes);
      const { session, root } = await this.store.createSessionFromImage(
        { title: input.title, owner: input.owner, defaultEndpoint: editEndpoint.id, defaultParams: params, budgetMicros: input.budgetMicros, quality },
        { index: 0, providerUrl: sourceUrl ?? null, blobHash: blob.hash, width: blob.width, height: blob.height, contentType: blob.contentType, nsfw: false },
        { finishedAt: new Date(), provider: sourceUrl ? 'web' : null },
      );
      this.events.emit({ type: 'turn.created', sessionId: session.id, turnId: root.id, status: 'succeeded', parentId: null, prompt: null });
      this.events.emit({ type: 'turn.succeeded', sessionId: session.id, turnId: root.id, status: 'succeeded' });
      return this.getSession(session.id);
    }

    const textEndpoint = this.endpoints.textSiblingOf(endpoint.id);
    if (!textEndpoint) throw new ValidationError([{ field: 'endpoint', message: `'${endpoint.id}' has no text-to-image sibling to start from a prompt` }]);
    const prompt = checkPrompt(input.prompt!);
    const merged = { ...params, prompt };
    const validated = parseOrThrow(textEndpoint.input, merged, 'request') as Record<string, unknown>;
    const provider = this.provider(textEndpoint.provider);
    const { session, root } = await this.store.createSessionFromPrompt(
      { title: input.title, owner: input.owner, defaultEndpoint: editEndpoint.id, defaultParams: params, budgetMicros: input.budgetMicros, quality },
      { kind: 'text', endpointId: textEndpoint.id, provider: provider.name, prompt, params: validated, seedRequested: typeof validated.seed === 'number' ? validated.seed : null },
      { lease: { owner: this.engineId, ttlMs: this.leaseTtlMs }, reserveMicros: this.estimateCostMicros(textEndpoint, validated) },
    );
    this.events.emit({ type: 'turn.created', sessionId: session.id, turnId: root.id, status: root.status, parentId: null, prompt: root.prompt });
    this.events.emit({ type: 'head.moved', sessionId: session.id, turnId: root.id });
    await this.runner.run(root, { signal: input.signal });
    return this.getSession(session.id);
  }

  async getSession(id: string): Promise<Session> {
    return sessionFromRow(await this.store.getSession(id));
  }

  async listSessions(filter: { owner?: string | null } = {}): Promise<Session[]> {
    return (await this.store.listSessions(filter)).map(sessionFromRow);
  }

  async deleteSession(id: string): Promise<void> {
    const inFlight = await this.store.inFlightTurns(id);
    if (inFlight.length > 0) throw new ConflictError(`session '${id}' has ${inFlight.length} turn(s) in flight; cancel them first`, { turns: inFlight.map((t) => t.id) });
    await this.store.deleteSession(id);
  }

  async updateSession(id: string, patch: { title?: string; params?: KontextParamsOverrides; endpoint?: string; budgetMicros?: number | null; quality?: QualitySettings }): Promise<Session> {
    const update: Parameters<SessionStore['updateSession']>[1] = {};
    if (patch.title !== undefined) update.title = patch.title;
    if (patch.params !== undefined) update.defaultParams = parseOrThrow(KontextParamsOverrides, patch.params, 'params');
    if (patch.endpoint !== undefined) update.defaultEndpoint = this.endpoints.get(patch.endpoint).id;
    if (patch.budgetMicros !== undefined) update.budgetMicros = checkBudget(patch.budgetMicros);
    const current = patch.quality !== undefined || update.defaultParams !== undefined || update.defaultEndpoint !== undefined ? await this.store.getSession(id) : undefined;
    if (patch.quality !== undefined) {
      update.quality = { ...current!.quality, ...(parseOrThrow(QualitySettingsSchema, patch.quality, 'quality') as QualitySettings) };
    }
    // The defaults must suit the endpoint they will be sent to, as startSession checks: a
    // param the endpoint does not take would fail every later edit instead of this call.
    if (current) refuseParamsNotTaken(this.endpoints.get(update.defaultEndpoint ?? current.defaultEndpoint), update.defaultParams ?? current.defaultParams);
    return sessionFromRow(await this.store.updateSession(id, update));
  }

  // ------------------------------------------------------------------ turns

  /**
   * Edits from HEAD (or `from`): a child turn whose image_url is the parent's picked output.
   * Editing from a turn that is not a leaf makes a branch; nothing is ever overwritten.
   * Resolves when the turn has finished (succeeded, failed or cancelled).
   */
  async edit(sessionId: string, prompt: string, params: KontextParamsOverrides = {}, options: EditOptions = {}): Promise<Turn> {
    const turn = await this.writeEdit(sessionId, prompt, params, options);
    return this.finish(turn, options.signal);
  }

  /**
   * Starts an edit and hands back at once, once the turn is written and running in the
   * background: its row, `result()` for the finished turn, `cancel()`, and `events()` from the
   * turn's creation to its end (like a Temporal workflow handle).
   *
   * @example
   * const handle = await engine.startEdit(session.id, 'make it night');
   * for await (const event of handle.events()) console.log(event.type);
   * const turn = await handle.result();
   */
  async startEdit(sessionId: string, prompt: string, params: KontextParamsOverrides = {}, options: EditOptions = {}): Promise<TurnHandle> {
    const before = this.events.lastId;
    const written = await this.writeEdit(sessionId, prompt, params, options);
    const firstEvents = this.events.stream({ sessionId, turnId: written.id, afterId: before });
    const running = this.finish(written, options.signal);
    // result() may never be called: the rejection is observed here, and handed over when it is.
    running.catch(() => undefined);
    let eventsTaken = false;
    return {
      turn: await this.getTurn(written.id),
      result: () => running,
      cancel: () => this.cancel(written.id),
      events: () => {
        if (!eventsTaken) {
          eventsTaken = true;
          return firstEvents;
        }
        return this.events.stream({ sessionId, turnId: written.id, afterId: before });
      },
    };
  }

  /** Like edit, but resolves as soon as the turn is written, without running it: `finish` runs it (the server calls that in the background). */
  async beginEdit(sessionId: string, prompt: string, params: KontextParamsOverrides = {}, options: EditOptions = {}): Promise<Turn> {
    const written = await this.writeEdit(sessionId, prompt, params, options);
    return this.getTurn(written.id);
  }

  private async writeEdit(sessionId: string, prompt: string, params: KontextParamsOverrides, options: EditOptions): Promise<TurnRow> {
    const references = options.references === undefined ? [] : await this.archiveEditReferences(sessionId, options);
    // The lock orders this process's edits of one session, so a follow-up typed right after
    // another chains onto it. Across processes the store decides in one transaction.
    return this.sessionLocks.run(sessionId, async () => {
      const { session, parent, parentOutputs } = await resolveEditBase(this.store, sessionId, options.from ?? 'HEAD');
      return this.createEditTurn(session, parent, prompt, params, options, parentOutputs, references);
    });
  }

  /**
   * An edit's reference images, counted against its endpoint before any is read, then archived
   * (outside the session's lock: a download must not hold up the session's other edits).
   */
  private async archiveEditReferences(sessionId: string, options: EditOptions): Promise<string[]> {
    const given: unknown = options.references;
    if (!Array.isArray(given)) throw new ValidationError([{ field: 'references', message: `is ${given === null ? 'null' : typeof given}; expected a list of images` }]);
    const endpoint = this.endpoints.get(options.endpoint ?? (await this.store.getSession(sessionId)).defaultEndpoint);
    checkReferenceCount(endpoint, given.length);
    return archiveReferences(this, given, { fetchImage: this.fetchImage, maxBytes: this.maxInputBytes, allowLocalFiles: this.allowLocalFiles, signal: options.signal });
  }

  private async createEditTurn(session: SessionRow, parent: TurnRow, prompt: string, params: KontextParamsOverrides, options: EditOptions, parentOutputs: OutputRow[] | undefined, references: readonly string[]): Promise<TurnRow> {
    const sessionId = session.id;
    {
      const endpoint = this.endpoints.get(options.endpoint ?? session.defaultEndpoint);
      if (endpoint.kind !== 'edit') throw new ValidationError([{ field: 'endpoint', message: `'${endpoint.id}' is a text-to-image endpoint; edits need an edit endpoint` }]);
      const overrides = parseOrThrow(KontextParamsOverrides, params, 'params');
      const input = parentOutputs?.[options.candidate ?? parent.selectedOutput];
      const source = parent.sizes?.source ?? (await rootImageOf(this.store, parent))?.size ?? null;
      const pinned = pinAspect({ ...session.defaultParams, ...overrides }, source, endpoint, resolveQuality(session.quality).pinAspect);
      checkReferenceCount(endpoint, references.length);
      const validated = this.validateRequest(endpoint, checkPrompt(prompt), pinned.params, references.length);
      return this.createTurn({
        references,
        qualityOptions: options.preserveRegions === undefined ? undefined : { preserveRegions: options.preserveRegions },
        sizes: {
          input: input?.width && input.height ? { width: input.width, height: input.height } : null,
          output: null,
          source,
          pinnedAspectRatio: pinned.pinned,
          mismatch: false,
          resizedToSource: false,
        },
        sessionId,
        parent,
        kind: 'edit',
        endpoint,
        prompt: validated.prompt as string,
        params: validated,
        candidate: options.candidate,
        memo: options.memo ?? 'auto',
        moveHead: true,
        parentMayBeUnfinished: true,
        parentOutputs,
      });
    }
  }

  /** Waits for a turn started here (or resumes one found in the store) and returns it finished. */
  async finish(turn: TurnRow | Pick<Turn, 'id' | 'status'>, signal?: AbortSignal): Promise<Turn> {
    if (IN_FLIGHT_STATUSES.includes(turn.status)) await this.runner.run('leaseOwner' in turn ? turn : turn.id, { signal });
    return this.getTurn(turn.id);
  }

  /**
   * Writes a planned turn: validates the parent and budget, reuses a memo hit (no provider
   * call), or appends a pending turn for the runner. Used by edit, replay and what-if; it
   * works on store rows, and is not part of the embedder's API.
   * @internal
   */
  async createTurn(plan: TurnPlan): Promise<TurnRow> {
    const provider = this.provider(plan.endpoint.provider);
    let inputBlob: string | null = null;
    const parentUnfinished = plan.parent !== null && IN_FLIGHT_STATUSES.includes(plan.parent.status);
    if (plan.parent && plan.parent.sessionId !== plan.sessionId) throw new ValidationError([{ field: 'from', message: `turn '${plan.parent.id}' is not in session '${plan.sessionId}'` }]);
    if (plan.parent && parentUnfinished) {
      if (!plan.parentMayBeUnfinished) {
        throw new ConflictError(`turn '${plan.parent.id}' has no image to continue from yet (status ${plan.parent.status})`, { turnId: plan.parent.id, status: plan.parent.status });
      }
      if (plan.candidate !== undefined) {
        throw new ValidationError([{ field: 'candidate', message: `turn '${plan.parent.id}' is still ${plan.parent.status}: its outputs are not known yet; pick a candidate once it has finished` }]);
      }
    } else if (plan.parent) {
      const parentOutputs = plan.parentOutputs ?? (await this.store.outputsOf(plan.parent.id));
      if (plan.parent.status !== 'succeeded' || parentOutputs.length === 0) {
        throw new ConflictError(`turn '${plan.parent.id}' has no image to continue from (status ${plan.parent.status})`, { turnId: plan.parent.id, status: plan.parent.status });
      }
      const index = plan.candidate ?? plan.parent.selectedOutput;
      const chosen = parentOutputs[index];
      if (!Number.isInteger(index) || !chosen) {
        throw new ValidationError([{ field: 'candidate', message: `${index} is not an output of turn '${plan.parent.id}'; allowed: 0 to ${parentOutputs.length - 1}` }]);
      }
      inputBlob = chosen.blobHash;
    }
    const seed = typeof plan.params.seed === 'number' ? plan.params.seed : null;

    // A turn waiting for its parent has no input image yet, so nothing to match a memo on.
    const memoAllowed = !parentUnfinished && (plan.memo === 'always' || (plan.memo === 'auto' && seed !== null));
    const references = plan.references ?? [];
    checkReferenceCount(plan.endpoint, references.length);
    const memo = memoAllowed && seed !== null ? await this.store.findMemo({ endpointId: plan.endpoint.id, inputBlob, referenceBlobs: references, seed, params: plan.params }) : undefined;

    const memoOutputs = memo ? await this.store.outputsOf(memo.id) : undefined;
    // A reused result is measured (and resized) for this session, whose settings may differ from the memo's.
    const memoQuality = memoOutputs
      ? await qualityAfterTurn(this, { kind: plan.kind, sessionId: plan.sessionId, parentId: plan.parent?.id ?? null, inputBlob, sizes: plan.sizes ?? null, qualityOptions: plan.qualityOptions ?? null }, {
          outputs: memoOutputs.map(({ turnId: _t, ...o }) => o),
          newBlobs: [],
        })
      : undefined;
    const turn = await this.store.appendTurn(
      {
        sessionId: plan.sessionId,
        parentId: plan.parent?.id ?? null,
        kind: plan.kind,
        endpointId: plan.endpoint.id,
        provider: memo ? memo.provider : provider.name,
        prompt: plan.prompt,
        // A memo hit keeps the request as the reused turn sent it, images and all.
        params: memo ? { ...plan.params, ...imagesOf(memo.params) } : plan.params,
        seedRequested: seed,
        inputBlob,
        referenceBlobs: references,
        originTurnId: memo ? memo.id : (plan.originTurnId ?? null),
        originKind: memo ? 'memo' : (plan.originKind ?? null),
        sizes: plan.sizes ?? null,
        qualityOptions: plan.qualityOptions ?? null,
      },
      {
        moveHead: plan.moveHead,
        // A turn to run is written already leased to this engine, which runs it next, with its
        // estimated cost reserved against the budget in the same transaction.
        lease: memoOutputs ? undefined : { owner: this.engineId, ttlMs: this.leaseTtlMs },
        reserveMicros: memoOutputs ? undefined : this.estimateCostMicros(plan.endpoint, plan.params, references.length),
        // A memo hit is written already succeeded, in the same transaction: never a pending
        // turn that a resume could mistake for one still to submit.
        complete: memoQuality && {
          outputs: memoQuality.outputs,
          newBlobs: memoQuality.newBlobs,
          patch: { seedUsed: memo!.seedUsed, timings: { memo: 1 }, costMicros: 0, finishedAt: new Date(), selectedOutput: memoQuality.selectedOutput, sizes: memoQuality.sizes, drift: memoQuality.drift },
        },
      },
    );
    this.events.emit({ type: 'turn.created', sessionId: plan.sessionId, turnId: turn.id, status: turn.status, parentId: turn.parentId, prompt: turn.prompt });
    if (plan.moveHead) this.events.emit({ type: 'head.moved', sessionId: plan.sessionId, turnId: turn.id });
    if (memo) this.events.emit({ type: 'turn.succeeded', sessionId: plan.sessionId, turnId: turn.id, status: 'succeeded' });
    return turn;
  }

  /** Chooses which output of a turn the next edit from it continues from. */
  async pick(turnId: string, index: number): Promise<Turn> {
    const turn = await this.store.selectOutput(turnId, index);
    // Drift is of the picked output: another pick measures again (the figures are cheap).
    if (turn.kind === 'edit' && turn.inputBlob && turn.status === 'succeeded') {
      const picked = (await this.store.outputsOf(turnId))[index]!;
      const root = await rootImageOf(this.store, turn);
      const drift = await driftOf(this, turn.inputBlob, root?.blobHash ?? null, picked.blobHash).catch(() => null);
      await this.store.patchTurn(turnId, { drift });
    }
    return this.getTurn(turnId);
  }

  /**
   * Cancels a turn in flight: aborts it here if this engine runs it (which also cancels it on
   * the provider), otherwise asks the provider to cancel by request id and records it.
   */
  async cancel(turnId: string): Promise<Turn> {
    if (await this.runner.abortLocal(turnId)) return this.getTurn(turnId);
    const turn = await this.store.getTurn(turnId);
    if (turn.status === 'succeeded' || turn.status === 'failed' || turn.status === 'cancelled') {
      throw new ConflictError(`turn '${turnId}' already finished (${turn.status}); nothing to cancel`, { turnId, status: turn.status });
    }
    if (turn.requestId && turn.providerHandle && turn.endpointId && turn.provider) {
      await this.provider(turn.provider).cancel(turn.endpointId, { requestId: turn.requestId, handle: turn.providerHandle });
    }
    await this.runner.recordCancelled(turn, new CancelledError('cancelled by request', { requestId: turn.requestId ?? undefined }));
    return this.getTurn(turnId);
  }

  /**
   * Finds every unfinished turn (of all sessions, or one) that no live process is running
   * and completes it: by request id when it was submitted (status, then result — never a
   * second submit), by submitting once when it never was, and as failed when a submit may
   * have gone out without an answer.
   */
  async resume(options: { sessionId?: string; signal?: AbortSignal; onResuming?: (turn: { id: string; status: string }) => void } = {}): Promise<ResumeReport> {
    const report: ResumeReport = { resumed: [], heldElsewhere: [], unconfigured: [] };
    const runnable: TurnRow[] = [];
    for (const turn of await this.store.inFlightTurns(options.sessionId)) {
      // A turn of a provider this process lacks (fal without FAL_KEY) is left for one that has it:
      // running it here could only fail it, and lose a result that may already be paid for.
      if (turn.provider !== null && !this.providers.has(turn.provider)) report.unconfigured.push({ turnId: turn.id, provider: turn.provider });
      else runnable.push(turn);
    }
    await Promise.all(
      runnable.map(async (t) => {
        options.onResuming?.(t);
        const ran = await this.runner.run(t.id, { signal: options.signal, onlyIfClaimable: true });
        if (ran) report.resumed.push(await this.getTurn(t.id));
        else report.heldElsewhere.push(t.id);
      }),
    );
    return report;
  }

  // ------------------------------------------------------------------ navigation

  /** The turn a ref names in a session: `HEAD`, `HEAD~N`, a branch, a full id or a unique prefix (4+ characters). */
  async resolveTurn(sessionId: string, ref: string, field = 'turn'): Promise<Turn> {
    const row = await resolveTurnRef(this.store, await this.store.getSession(sessionId), ref, field);
    return turnFromRow(row, await this.store.outputsOf(row.id));
  }

  async head(sessionId: string): Promise<Turn | null> {
    const session = await this.store.getSession(sessionId);
    return session.headTurnId ? this.getTurn(session.headTurnId) : null;
  }

  /** Moves HEAD to its parent (the attached branch with it), remembering where it was for redo. */
  async undo(sessionId: string): Promise<Session> {
    const moved = await this.store.undoHead(sessionId);
    this.events.emit({ type: 'head.moved', sessionId, turnId: moved.headTurnId });
    return sessionFromRow(moved);
  }

  /** Moves HEAD back down to the turn the last undo left, skipping any that failed since. */
  async redo(sessionId: string): Promise<Session> {
    const moved = await this.store.redoHead(sessionId);
    this.events.emit({ type: 'head.moved', sessionId, turnId: moved.headTurnId });
    return sessionFromRow(moved);
  }

  /**
   * Moves HEAD to a turn or branch; checking out a branch attaches HEAD to it, a turn detaches
   * it, and `HEAD` itself changes nothing.
   */
  async checkout(sessionId: string, ref: string): Promise<Session> {
    for (;;) {
      const session = await this.store.getSession(sessionId);
      if (ref.trim() === 'HEAD') return sessionFromRow(session);
      const branch = await this.store.findRef(sessionId, ref);
      const turn = branch ? undefined : await resolveTurnRef(this.store, session, ref);
      // `HEAD~2` is worked out from HEAD as read above: the move only goes through if HEAD is still there.
      const moved = await this.store.checkoutHead(sessionId, branch ? { turnId: branch.turnId, branch: branch.name } : { turnId: turn!.id, expectHead: session.headTurnId });
      if (!moved) continue;
      this.events.emit({ type: 'head.moved', sessionId, turnId: moved.headTurnId });
      return sessionFromRow(moved);
    }
  }

  /**
   * Deletes a turn and everything below it; see {@link SessionStore.deleteSubtree} for what
   * happens to HEAD, branches and the redo stack. Refused (CONFLICT) while a turn in it runs.
   *
   * @example
   * await engine.deleteSubtree(sessionId, 'HEAD~1', { deleteBranches: true });
   */
  async deleteSubtree(sessionId: string, ref: string, options: { deleteBranches?: boolean } = {}): Promise<SubtreeDeletion> {
    const turn = await this.resolveTurn(sessionId, ref);
    const deletion = await this.store.deleteSubtree(turn.id, options);
    if (deletion.headMovedTo !== undefined) this.events.emit({ type: 'head.moved', sessionId, turnId: deletion.headMovedTo });
    return deletion;
  }

  /**
   * Copies the path root → `turnId` (with `whole`, the whole tree) into a new session of the
   * same owner, HEAD on the copy of the turn. Images are shared through the archive; the copies
   * cost nothing in the new session (its budget cap is for what it runs); turns still running
   * are left out of a whole-tree fork (`skipped`). Refused (CONFLICT) unless the turn succeeded.
   *
   * @example
   * const { session } = await engine.fork(turn.id, { title: 'night version' });
   */
  fork(turnId: string, options: ForkOptions = {}): Promise<ForkResult> {
    return forkSession(this.store, turnId, options);
  }

  /** Pins a succeeded turn as a favourite (again: no change). CONFLICT for a turn that has not succeeded. */
  async pin(turnId: string): Promise<Turn> {
    await this.store.setPinned(turnId, true);
    return this.getTurn(turnId);
  }

  async unpin(turnId: string): Promise<Turn> {
    await this.store.setPinned(turnId, false);
    return this.getTurn(turnId);
  }

  /** A session's pinned turns, in the order they were pinned. */
  async pins(sessionId: string): Promise<Turn[]> {
    await this.store.getSession(sessionId);
    return this.withOutputs(await this.store.pinnedTurns(sessionId));
  }

  async createBranch(sessionId: string, name: string, at = 'HEAD'): Promise<Branch> {
    const turn = await resolveTurnRef(this.store, await this.store.getSession(sessionId), at, 'at');
    return branchFromRow(await this.store.createRef(sessionId, name, turn.id));
  }

  async renameBranch(sessionId: string, from: string, to: string): Promise<Branch> {
    return branchFromRow(await this.store.renameRef(sessionId, from, to));
  }

  deleteBranch(sessionId: string, name: string): Promise<void> {
    return this.store.deleteRef(sessionId, name);
  }

  async listBranches(sessionId: string): Promise<Branch[]> {
    return (await this.store.listRefs(sessionId)).map(branchFromRow);
  }

  async getTurn(turnId: string): Promise<Turn> {
    const { turn, outputs } = await this.store.turnWithOutputs(turnId);
    return turnFromRow(turn, outputs);
  }

  /** The turns root → `turnId`, root first. */
  async path(turnId: string): Promise<Turn[]> {
    return this.withOutputs(await this.store.path(turnId));
  }

  async children(turnId: string): Promise<Turn[]> {
    return this.withOutputs(await this.store.children(turnId));
  }

  async siblings(turnId: string): Promise<Turn[]> {
    const turn = await this.store.getTurn(turnId);
    if (turn.parentId === null) return [];
    return (await this.children(turn.parentId)).filter((t) => t.id !== turnId);
  }

  async tree(sessionId: string): Promise<SessionTree> {
    const session = await this.getSession(sessionId);
    const turns = await this.withOutputs(await this.store.listTurns(sessionId));
    return { session, turns, branches: await this.listBranches(sessionId) };
  }

  // ------------------------------------------------------------------ replay and what-if

  /** Replays root → `to` into a new branch, exactly from the archive or afresh with the recorded seeds. */
  replay(sessionId: string, options: ReplayOptions = {}): Promise<ReplayReport> {
    return replayPath(this, sessionId, options);
  }

  /** Changes one turn and re-applies its subtree on top (dry run: plan and cost only). */
  whatIf(sessionId: string, turn: string, change: WhatIfChange, options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<WhatIfResult> {
    return whatIf(this, sessionId, turn, change, options);
  }

  // ------------------------------------------------------------------ export / import

  /** Writes the session (tree, params, seeds, refs, provenance and images) to one bundle file. */
  exportSession(sessionId: string, file: string): ReturnType<typeof exportSession> {
    return exportSession({ store: this.store, blobs: this.blobs }, sessionId, file);
  }

  /** Imports a bundle (verifying every image hash); importing the same bundle twice is a no-op. */
  importBundle(file: string, options: { owner?: string | null; maxBytes?: number } = {}): ReturnType<typeof importBundle> {
    return importBundle({ store: this.store, blobs: this.blobs, endpoints: this.endpoints }, file, options);
  }

  // ------------------------------------------------------------------ archive

  /**
   * Deletes archived images nothing refers to any more (after deletes), and temp files of
   * killed writes. A dry run unless `dryRun: false`. Safe while edits run: see collectGarbage.ts.
   */
  collectGarbage(options: GarbageOptions = {}): Promise<GarbageReport> {
    return collectGarbage({ store: this.store, blobs: this.blobs, now: this.now }, options);
  }

  // ------------------------------------------------------------------ cost

  /** Spend in micro-dollars: per turn, per branch (root → branch tip) and for the session. */
  async cost(sessionId: string): Promise<{ totalMicros: number; budgetMicros: number | null; byBranch: Record<string, number>; byTurn: Record<string, number> }> {
    const { session, turns, branches } = await this.tree(sessionId);
    const byId = new Map(turns.map((t) => [t.id, t]));
    const byTurn = Object.fromEntries(turns.map((t) => [t.id, t.costMicros]));
    const byBranch: Record<string, number> = {};
    for (const ref of branches) {
      let sum = 0;
      for (let t = byId.get(ref.turnId); t; t = t.parentId ? byId.get(t.parentId) : undefined) sum += t.costMicros;
      byBranch[ref.name] = sum;
    }
    return { totalMicros: turns.reduce((s, t) => s + t.costMicros, 0), budgetMicros: session.budgetMicros, byBranch, byTurn };
  }

  /** Price of a request before it is sent: price per image × images asked for (and, FLUX.2, megapixels in and out). */
  estimateCostMicros(endpoint: EndpointSpec, params: Record<string, unknown>, references = 0): number {
    return estimateCostMicros(endpoint, params, references);
  }

  // ------------------------------------------------------------------ events

  /**
   * Engine events (one session, or all) as an async iterable that listens from this call on:
   * events that happen before the first `next()` are kept (up to `bufferSize`, then a `gap`).
   * End it with `return()` (a `for await` loop's `break`) or `signal`.
   */
  subscribe(filter: Omit<SubscriptionFilter, 'turnId'> = {}): EventSubscription {
    return this.events.stream(filter);
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Validates a full request (with defaults applied) for an endpoint, its images aside: they
   * stand in as placeholders where the endpoint takes them (`image_url`, `image_urls`), so the
   * schema checks their number too.
   */
  validateRequest(endpoint: EndpointSpec, prompt: string, params: Record<string, unknown>, references = 0): Record<string, unknown> {
    const rest = withoutImages(params);
    const input = endpoint.kind === 'edit' ? withImages(endpoint, { ...rest, prompt }, IMAGE_URL_PLACEHOLDER, Array.from({ length: references }, () => IMAGE_URL_PLACEHOLDER)) : { ...rest, prompt };
    return withoutImages(parseOrThrow(endpoint.input, input, 'request') as Record<string, unknown>);
  }

  private async withOutputs(turns: TurnRow[]): Promise<Turn[]> {
    const outputs = await this.store.outputsOfMany(turns.map((t) => t.id));
    return turns.map((t) => turnFromRow(t, outputs.get(t.id) ?? []));
  }
}

/**
 * Session defaults name fields of every provider's models (`steps` is FLUX.2 [flex]'s); one the
 * session's own endpoint does not take is refused when it is set, not at the first edit.
 */
function refuseParamsNotTaken(endpoint: EndpointSpec, params: Record<string, unknown>): void {
  const shape = (endpoint.input as { shape?: Record<string, unknown> }).shape;
  if (!shape) return;
  const foreign = Object.keys(params).filter((key) => !(key in shape));
  if (foreign.length > 0) throw new ValidationError(foreign.map((field) => ({ field, message: `is not a parameter of '${endpoint.id}'; allowed: ${Object.keys(shape).filter((k) => k !== 'prompt' && k !== 'image_url').join(', ')}` })));
}

/** The image fields of a stored request (what it sent them as), to carry over to a turn reusing its result. */
function imagesOf(params: Record<string, unknown>): Record<string, unknown> {
  const rest = withoutImages(params);
  return Object.fromEntries(Object.entries(params).filter(([key]) => !(key in rest)));
}

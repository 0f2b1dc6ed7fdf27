import { hostname } from 'node:os';
import sharp from 'sharp';
import type { BlobStore } from '../blobs/BlobStore.js';
import { AmbiguousSubmitError } from '../errors/AmbiguousSubmitError.js';
import { CancelledError } from '../errors/CancelledError.js';
import { ConflictError } from '../errors/ConflictError.js';
import { isKontextError, KontextError } from '../errors/KontextError.js';
import { ProviderError } from '../errors/ProviderError.js';
import { estimateCostMicros, type EndpointRegistry } from '../kontext/endpoints.js';
import { KontextOutput } from '../kontext/schemas.js';
import type { Provider, ProgressEvent, SubmittedJob, WebhookRequest } from '../providers/Provider.js';
import { qualityAfterTurn } from '../quality/afterTurn.js';
import type { NewBlob, NewOutput, SessionStore } from '../store/SessionStore.js';
import { holdsFreshLease } from '../store/leases.js';
import type { TurnRow } from '../store/schema.js';
import { elidedDataUri, isDataUri } from '../util/dataUri.js';
import { withImages, withoutImages } from '../kontext/imageFields.js';
import { sniffImageType } from '../util/imageType.js';
import { bflTurnSecret, isWebhookProvider, webhookUrlOf, type WebhookSettings } from '../webhooks/settings.js';
import type { WebhookHints } from '../webhooks/WebhookHints.js';
import type { EventBus } from './EventBus.js';
import type { FairScheduler } from './FairScheduler.js';

export interface TurnRunnerDeps {
  store: SessionStore;
  blobs: BlobStore;
  endpoints: EndpointRegistry;
  events: EventBus;
  scheduler: FairScheduler;
  provider: (name: string) => Provider;
  engineId: string;
  leaseTtlMs: number;
  maxOutputBytes: number;
  now: () => number;
  /** With a public URL: submits ask for webhooks, and waits are woken by them instead of polling. */
  webhooks?: { settings: WebhookSettings; hints: WebhookHints };
}

/** Engines alive in this process: a lease held by one that is not here any more is free. */
const liveEngines = new Set<string>();

/** Whether the process that holds a lease is gone (same host only; other hosts wait for expiry). */
export function isLeaseHolderGone(holder: string): boolean {
  const [host, pidText] = holder.split(':');
  if (host !== hostname()) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid)) return false;
  if (pid === process.pid) return !liveEngines.has(holder);
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Carries one stored turn to its end: claim → local queue slot → prepare the image →
 * submit once → record the request id → wait → archive outputs → succeeded (or failed /
 * cancelled, with the reason). Each step is written before the next begins, so any process
 * can pick the turn up where a crashed one left it.
 */
export class TurnRunner {
  /** Runs under way here; each `done` tells whether the turn was this engine's to run after all. */
  private readonly running = new Map<string, { controller: AbortController; done: Promise<boolean> }>();
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: TurnRunnerDeps) {
    liveEngines.add(deps.engineId);
  }

  close(): void {
    liveEngines.delete(this.deps.engineId);
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  /**
   * Runs the turn if this engine may (returns false when another live process holds it
   * and `onlyIfClaimable`); joins the run already under way here. Given the row of a turn
   * this engine has just written leased to itself, it starts without asking the store again:
   * the submit mark is written only while the turn is still pending under that lease.
   */
  async run(turn: string | TurnRow, options: { signal?: AbortSignal; onlyIfClaimable?: boolean } = {}): Promise<boolean> {
    const turnId = typeof turn === 'string' ? turn : turn.id;
    const existing = this.running.get(turnId);
    if (existing) {
      await existing.done;
      return true;
    }
    const claimed = typeof turn !== 'string' && this.isFreshlyWrittenHere(turn)
      ? turn
      : await this.deps.store.claimTurn(turnId, this.deps.engineId, this.deps.leaseTtlMs, isLeaseHolderGone);
    if (claimed === undefined) {
      if (options.onlyIfClaimable) return false;
      await this.waitUntilSettled(turnId, options.signal);
      return true;
    }
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = this.execute(claimed, controller.signal).finally(() => {
      options.signal?.removeEventListener('abort', onAbort);
      this.running.delete(turnId);
      if (this.running.size === 0 && this.renewTimer) {
        clearInterval(this.renewTimer);
        this.renewTimer = undefined;
      }
    });
    this.running.set(turnId, { controller, done });
    this.ensureRenewal();
    if (await done) return true;
    // Not ours after all (cancelled or taken over before its submit): like a claim refused.
    if (options.onlyIfClaimable) return false;
    await this.waitUntilSettled(turnId, options.signal);
    return true;
  }

  /** A turn not yet sent, leased to this engine with most of its lease left: written so just now. */
  private isFreshlyWrittenHere(turn: TurnRow): boolean {
    return turn.status === 'pending' && turn.submitAttemptedAt === null && holdsFreshLease(turn, this.deps.engineId, this.deps.now(), this.deps.leaseTtlMs);
  }

  /** Aborts a turn this engine is running (cancelling it on the provider). False if not running here. */
  async abortLocal(turnId: string): Promise<boolean> {
    const entry = this.running.get(turnId);
    if (!entry) return false;
    entry.controller.abort(new CancelledError('cancelled by request'));
    await entry.done;
    return true;
  }

  get activeTurns(): number {
    return this.running.size;
  }

  /** Waits for a turn another process runs, by watching its stored status. */
  async waitUntilSettled(turnId: string, signal?: AbortSignal): Promise<TurnRow> {
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      const turn = await this.deps.store.getTurn(turnId);
      if (turn.status === 'succeeded' || turn.status === 'failed' || turn.status === 'cancelled') return turn;
      const local = this.running.get(turnId);
      if (local) {
        await local.done;
        continue;
      }
      // The holder may have died meanwhile: then this engine takes the turn over.
      if (await this.run(turnId, { signal, onlyIfClaimable: true })) continue;
      await sleepUnlessAborted(delay, signal);
    }
  }

  async recordCancelled(turn: TurnRow, error: CancelledError): Promise<void> {
    await this.finishWith(turn.id, turn.sessionId, 'cancelled', error);
  }

  private ensureRenewal(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => {
      void this.deps.store.renewLeases(this.deps.engineId, this.deps.leaseTtlMs).catch(() => undefined);
    }, Math.max(1000, Math.floor(this.deps.leaseTtlMs / 3)));
    this.renewTimer.unref();
  }

  /**
   * @param claimed the turn as the claim read it (or as this engine just wrote it, leased to itself)
   * @returns false when, before its submit, the turn proved not to be this engine's to run
   */
  private async execute(claimed: TurnRow, signal: AbortSignal): Promise<boolean> {
    const { store, events } = this.deps;
    let turn = claimed;
    const { id: turnId, sessionId } = turn;
    let release: (() => void) | undefined;
    /** Whether the turn's final write (which also lets go of the lease) went through. */
    let settled = false;
    try {
      if (turn.status === 'pending' && turn.submitAttemptedAt !== null && turn.requestId === null) {
        // A previous process sent the submit but died before the answer was stored: the job may
        // exist and be billed. Submitting again could pay twice, so this ends the turn instead.
        throw new AmbiguousSubmitError(turn.endpointId ?? 'unknown endpoint');
      }
      // A follow-up written while its parent still ran: its input is the parent's result, once
      // there is one. It waits before taking a queue slot, so waiting holds no one else up.
      if (turn.status === 'pending' && turn.inputBlob === null && turn.parentId !== null) turn = await this.awaitParent(turn, turn.parentId, signal);
      release = await this.deps.scheduler.acquire(sessionId, {
        signal,
        onPosition: (position) => events.emit({ type: 'turn.queued', sessionId, turnId, position, local: true, status: turn.status }),
      });
      const provider = this.deps.provider(turn.provider ?? '');
      const endpoint = this.deps.endpoints.get(turn.endpointId ?? '');
      let job: SubmittedJob;
      if (turn.status === 'pending') {
        const submitted = await this.submit(turn, provider, endpoint.id, signal);
        // Cancelled meanwhile, or no longer ours: whoever changed it has the last word; nothing was sent.
        if (!submitted) return false;
        ({ turn, job } = submitted);
        events.emit({ type: 'turn.submitted', sessionId, turnId, status: 'submitted' });
      } else {
        if (!turn.requestId || !turn.providerHandle) throw new ProviderError(`turn '${turnId}' is ${turn.status} but has no request id to resume`);
        job = { requestId: turn.requestId, handle: turn.providerHandle };
      }

      const inputBlob = turn.inputBlob;
      const webhooks = this.deps.webhooks;
      const output = await provider.wait(endpoint.id, job, {
        signal,
        ...(webhooks ? { wakeUp: (wakeSignal: AbortSignal) => webhooks.hints.wait(provider.name, job.requestId, webhooks.settings.fallbackPollMs, wakeSignal) } : {}),
        onProgress: (event) => void this.onProgress(turnId, sessionId, event),
        ...(inputBlob ? { inputImage: { hash: inputBlob, load: () => this.deps.blobs.get(inputBlob) } } : {}),
        ...(turn.referenceBlobs.length > 0 ? { referenceImages: turn.referenceBlobs.map((hash) => ({ hash, load: () => this.deps.blobs.get(hash) })) } : {}),
      });
      const parsed = KontextOutput.parse(output);
      const archived = await this.archiveOutputs(provider, parsed, signal);
      const { outputs, newBlobs, selectedOutput, sizes, drift } = await qualityAfterTurn(this.deps, turn, archived);
      const finishedAt = this.deps.now();
      const timings: Record<string, number> = { ...parsed.timings };
      if (turn.startedAt) timings.total_ms = finishedAt - turn.startedAt.getTime();
      timings.since_created_ms = finishedAt - turn.createdAt.getTime();
      // One write ends the turn: outputs, blob metadata, status and the lease let go.
      await store.completeTurn(
        turnId,
        outputs,
        // The provider's outputs are what was paid for; candidates the engine derives from them (resized, region-kept) are free.
        { seedUsed: parsed.seed, timings, costMicros: estimateCostMicros(endpoint, { ...turn.params, num_images: archived.outputs.length }, turn.referenceBlobs.length), finishedAt: new Date(finishedAt), selectedOutput, sizes, drift, ...NO_LEASE },
        newBlobs,
      );
      settled = true;
      events.emit({ type: 'turn.succeeded', sessionId, turnId, status: 'succeeded' });
    } catch (error) {
      const cancelled = error instanceof CancelledError || (signal.aborted && !(error instanceof KontextError));
      const reason = cancelled && !(error instanceof CancelledError) ? new CancelledError('cancelled', { cause: error }) : error;
      settled = await this.finishWith(turnId, sessionId, cancelled ? 'cancelled' : 'failed', reason);
    } finally {
      release?.();
      if (!settled) await store.releaseTurn(turnId, this.deps.engineId).catch(() => undefined);
    }
    return true;
  }

  /**
   * Ends a turn as failed or cancelled with its reason. The store moves branches and HEAD off
   * it to the last good turn in the same write, and releases its reserved cost — unless the
   * submit may have gone out unanswered, when the provider may have billed it.
   * Returns whether this call wrote the end (false when someone else had).
   */
  private async finishWith(turnId: string, sessionId: string, status: 'failed' | 'cancelled', error: unknown): Promise<boolean> {
    const { store, events } = this.deps;
    const e = isKontextError(error) ? error : new KontextError('INTERNAL', error instanceof Error ? error.message : String(error));
    let wrote = true;
    try {
      const billedMaybe = e instanceof AmbiguousSubmitError ? (await store.getTurn(turnId)).costMicros : 0;
      const { headMovedTo } = await store.endUnfinishedTurn(turnId, status, {
        errorCode: e.code,
        errorMessage: e.message,
        errorDetail: e.details ?? null,
        finishedAt: new Date(this.deps.now()),
        costMicros: billedMaybe,
        ...NO_LEASE,
      });
      if (headMovedTo) events.emit({ type: 'head.moved', sessionId, turnId: headMovedTo });
    } catch (writeError) {
      // Someone else finished it first (e.g. a cancel from another process): theirs stands.
      if (!(writeError instanceof ConflictError)) throw writeError;
      wrote = false;
    }
    events.emit({ type: status === 'failed' ? 'turn.failed' : 'turn.cancelled', sessionId, turnId, status, error: { code: e.code, message: e.message } });
    return wrote;
  }

  /** Waits for the parent to finish and takes its picked output as this turn's input image. */
  private async awaitParent(turn: TurnRow, parentId: string, signal: AbortSignal): Promise<TurnRow> {
    const { store, events } = this.deps;
    events.emit({ type: 'turn.queued', sessionId: turn.sessionId, turnId: turn.id, status: 'pending', waitingFor: parentId });
    const parent = await abortable(this.waitUntilSettled(parentId, signal), signal);
    const outputs = parent.status === 'succeeded' ? await store.outputsOf(parentId) : [];
    const chosen = outputs[parent.selectedOutput] ?? outputs[0];
    if (!chosen) {
      throw new ConflictError(`its parent turn '${parentId}' ${parent.status === 'succeeded' ? 'has no output' : parent.status}, so there is no image to continue from`, {
        parentId,
        parentStatus: parent.status,
      });
    }
    return store.patchTurn(turn.id, { inputBlob: chosen.blobHash });
  }

  private async onProgress(turnId: string, sessionId: string, event: ProgressEvent): Promise<void> {
    const { store, events } = this.deps;
    if (event.type === 'queued') {
      events.emit({ type: 'turn.queued', sessionId, turnId, position: event.position, local: false, status: 'submitted' });
    } else if (event.type === 'running') {
      const turn = await store.findTurn(turnId);
      if (turn?.status === 'submitted') await store.transitionTurn(turnId, 'running').catch(() => undefined);
      events.emit({ type: 'turn.running', sessionId, turnId, logs: event.logs, status: 'running' });
    }
  }

  /**
   * Marks the submit attempt, sends the request and records the request id. Its own method,
   * not part of `execute`: the request may carry the input image inline (a data URI of up to
   * `inlineMaxBytes`, 256 KiB by default), and a suspended async frame keeps every local it
   * has, dead or not, so inside `execute` the image would stay in memory for as long as the
   * job runs: 275 KiB of heap per turn in flight with a 184 KiB PNG, under 30 KiB once this
   * frame ends with the submit. Undefined when the turn proved not to be ours to send.
   */
  private async submit(turn: TurnRow, provider: Provider, endpointId: string, signal: AbortSignal): Promise<{ turn: TurnRow; job: SubmittedJob } | undefined> {
    const { store } = this.deps;
    const input = await this.buildInput(turn, provider, signal);
    // The budget is checked again right before the send (a resumed turn, a budget lowered since
    // it was written), in the same write as the submit mark.
    const estimate = estimateCostMicros(this.deps.endpoints.get(endpointId), turn.params, turn.referenceBlobs.length);
    const marked = await store.markSubmitAttempt(turn.id, this.deps.engineId, input.stored, new Date(this.deps.now()), estimate);
    if (!marked) return undefined;
    signal.throwIfAborted();
    const webhook = this.webhookFor(provider.name, turn.id);
    const job = await provider.submit(endpointId, input.sent, { signal, ...(webhook ? { webhook } : {}) });
    const submitted = await store.transitionTurn(turn.id, 'submitted', {
      requestId: job.requestId,
      providerHandle: job.handle,
      startedAt: new Date(this.deps.now()),
    });
    return { turn: submitted, job };
  }

  /**
   * The callback to ask for, when a public URL is configured and the provider can make one.
   * BFL's secret is derived per turn (never stored); the route verifies with the same derivation.
   */
  private webhookFor(providerName: string, turnId: string): WebhookRequest | undefined {
    const settings = this.deps.webhooks?.settings;
    if (!settings || !isWebhookProvider(providerName)) return undefined;
    return { url: webhookUrlOf(settings, providerName), ...(providerName === 'bfl' ? { secret: bflTurnSecret(settings, turnId) } : {}) };
  }

  /**
   * The request to send, and the same request as we store it (data-URI images elided to their
   * hashes): the chained image and any references where the endpoint takes them.
   */
  private async buildInput(turn: TurnRow, provider: Provider, signal: AbortSignal): Promise<{ sent: Record<string, unknown>; stored: Record<string, unknown> }> {
    const params = withoutImages(turn.params);
    if (turn.kind !== 'edit' || !turn.parentId || !turn.inputBlob) return { sent: params, stored: params };
    const { store, blobs } = this.deps;
    const hash = turn.inputBlob;
    const source = await store.inputSource(turn.parentId, hash);
    const contentType = source.contentType ?? 'application/octet-stream';
    const imageUrl = await provider.prepareImage(
      { hash, contentType, load: () => blobs.get(hash), url: source.providerUrl ?? undefined, urlProvider: source.urlProvider ?? undefined },
      { signal },
    );
    const references: { sent: string; stored: string }[] = [];
    for (const referenceHash of turn.referenceBlobs) {
      // A reference's provider URL is not kept: its archived bytes are what is sent, prepared like the input.
      const type = (await store.findBlob(referenceHash))?.contentType ?? 'application/octet-stream';
      const url = await provider.prepareImage({ hash: referenceHash, contentType: type, load: () => blobs.get(referenceHash) }, { signal });
      references.push({ sent: url, stored: isDataUri(url) ? elidedDataUri(type, referenceHash) : url });
    }
    const endpoint = this.deps.endpoints.get(turn.endpointId ?? '');
    const storedImage = isDataUri(imageUrl) ? elidedDataUri(contentType === 'application/octet-stream' ? 'image' : contentType, hash) : imageUrl;
    return {
      sent: withImages(endpoint, params, imageUrl, references.map((r) => r.sent)),
      stored: withImages(endpoint, params, storedImage, references.map((r) => r.stored)),
    };
  }

  /**
   * Streams every output image into the archive; the history must outlive the provider's
   * URLs. Returns the output rows and the metadata of their blobs, for the one write that
   * completes the turn.
   */
  private async archiveOutputs(provider: Provider, output: KontextOutput, signal: AbortSignal): Promise<{ outputs: NewOutput[]; newBlobs: NewBlob[] }> {
    const { store, blobs, maxOutputBytes } = this.deps;
    const outputs: NewOutput[] = [];
    const newBlobs: NewBlob[] = [];
    for (const [index, image] of output.images.entries()) {
      const download = await provider.download(image.url, { signal, maxBytes: maxOutputBytes });
      const { hash, size } = await blobs.putStream(download.body, { maxBytes: maxOutputBytes });
      let { width, height } = image;
      let contentType = download.contentType;
      if (width === undefined || height === undefined) {
        // The provider did not say: a blob recorded before knows, or else the bytes tell.
        const known = (await store.findBlob(hash)) ?? newBlobs.find((b) => b.hash === hash);
        if (known) {
          width = known.width ?? undefined;
          height = known.height ?? undefined;
          contentType = known.contentType;
        } else {
          const bytes = await blobs.get(hash);
          ({ width, height } = await sharp(bytes).metadata());
          contentType = sniffImageType(bytes) ?? contentType;
        }
      }
      // completeTurn records the blob only if it is new (the same hash is the same bytes), so
      // nothing needs reading first to know.
      if (!newBlobs.some((b) => b.hash === hash)) newBlobs.push({ hash, size, contentType, width: width ?? null, height: height ?? null });
      outputs.push({
        index,
        providerUrl: isDataUri(image.url) ? null : image.url,
        blobHash: hash,
        width: width ?? null,
        height: height ?? null,
        contentType,
        nsfw: output.has_nsfw_concepts[index] ?? false,
      });
    }
    return { outputs, newBlobs };
  }
}

/** The part of a turn's final write that lets go of its lease: a finished turn is nobody's to run. */
const NO_LEASE = { leaseOwner: null, leaseExpiresAt: null } as const;

/** Waits `ms`, or rejects with CancelledError as soon as `signal` aborts (leaving no listener behind). */
/** `promise`, or a CancelledError as soon as `signal` aborts (the work behind `promise` goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

import type { Dispatcher } from 'undici';
import { NotFoundError } from '../errors/NotFoundError.js';
import type { TurnRow } from '../store/schema.js';
import { verifyBflWebhook } from './bflSignature.js';
import { FalWebhookVerifier } from './falSignature.js';
import { ReplicateWebhookVerifier } from './replicateSignature.js';
import { bflTurnSecret, isWebhookProvider, WEBHOOK_PROVIDERS, WEBHOOK_TOLERANCE_MS, type WebhookProvider, type WebhookSettings } from './settings.js';
import type { VerifiedWebhook, WebhookRequest } from './verified.js';
import type { WebhookHints } from './WebhookHints.js';

/**
 * What became of a webhook that was not refused. `woke`: a wait here was told; `resumed`: no
 * wait was under way here, so this engine took the turn up (if its holder is gone); `ignored`:
 * a replay, or a job no unfinished turn has (unknown, or finished already) — nothing changed.
 */
export type WebhookOutcome =
  | { outcome: 'woke' | 'resumed'; provider: WebhookProvider; requestId: string; turnId: string }
  | { outcome: 'ignored'; provider: WebhookProvider; requestId: string; reason: 'replayed' | 'no unfinished turn has this job' };

export interface WebhookReceiverDeps {
  settings: WebhookSettings;
  hints: WebhookHints;
  /** The unfinished turn of a provider's job, if any. */
  findTurn: (provider: string, requestId: string) => Promise<TurnRow | undefined>;
  /** Takes the turn up in the background when no wait for it is under way here. */
  resume: (turnId: string) => void;
  /** Replicate's signing secret when none is configured: fetched from its API (undefined without a Replicate provider). */
  replicateSecret?: () => Promise<string | undefined>;
  now: () => number;
  dispatcher?: Dispatcher;
}

/** Deliveries remembered against replays: the window a timestamp is accepted in, either way, and a cap. */
const REPLAY_WINDOW_MS = 2 * WEBHOOK_TOLERANCE_MS;
const MAX_REMEMBERED = 50_000;

/**
 * Receives provider webhooks for an engine: verifies each (signature, timestamp), refuses
 * replays, and turns a good one into a wake-up of the turn that waits for it. A webhook is
 * only a hint: the turn then fetches its result from the provider as it would have by polling,
 * and a hint for a job no unfinished turn has changes nothing.
 */
export class WebhookReceiver {
  private readonly fal: FalWebhookVerifier;
  private readonly replicate: ReplicateWebhookVerifier;
  private readonly seen = new Map<string, number>();

  constructor(private readonly deps: WebhookReceiverDeps) {
    this.fal = new FalWebhookVerifier({ jwksUrl: deps.settings.falJwksUrl, now: deps.now, ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}) });
    const configured = deps.settings.replicateSecret;
    this.replicate = new ReplicateWebhookVerifier({ now: deps.now, secret: async () => configured ?? (await deps.replicateSecret?.()) });
  }

  /** Verifies and acts on one webhook; throws WebhookRefusedError (401) for a forged or stale one, NotFoundError for an unknown provider. */
  async receive(provider: string, webhook: WebhookRequest): Promise<WebhookOutcome> {
    if (!isWebhookProvider(provider)) throw new NotFoundError('webhook route', provider, `no webhook route for '${provider.slice(0, 40)}'; allowed: ${WEBHOOK_PROVIDERS.join(', ')}`);
    const now = this.deps.now();
    let verified: VerifiedWebhook;
    let turn: TurnRow | undefined;
    if (provider === 'bfl') {
      const result = await verifyBflWebhook(
        webhook,
        async (requestId) => {
          turn = await this.deps.findTurn('bfl', requestId);
          return turn && bflTurnSecret(this.deps.settings, turn.id);
        },
        now,
      );
      if ('unknown' in result) return { outcome: 'ignored', provider, requestId: result.unknown, reason: 'no unfinished turn has this job' };
      verified = result;
    } else {
      verified = provider === 'fal' ? await this.fal.verify(webhook) : await this.replicate.verify(webhook);
    }
    const { requestId } = verified;
    if (this.remember(verified.deliveryId, now)) return { outcome: 'ignored', provider, requestId, reason: 'replayed' };
    turn ??= await this.deps.findTurn(provider, requestId);
    if (!turn) {
      // Verified, so from the provider: perhaps about a job whose submit answer is still being
      // recorded. Kept as an early hint (in memory, bounded), it spares that turn its fallback wait.
      this.deps.hints.notify(provider, requestId);
      return { outcome: 'ignored', provider, requestId, reason: 'no unfinished turn has this job' };
    }
    if (this.deps.hints.notify(provider, requestId)) return { outcome: 'woke', provider, requestId, turnId: turn.id };
    this.deps.resume(turn.id);
    return { outcome: 'resumed', provider, requestId, turnId: turn.id };
  }

  /** Records a delivery; true when it had been seen (within the window) already. */
  private remember(deliveryId: string, now: number): boolean {
    for (const [id, at] of this.seen) {
      if (now - at <= REPLAY_WINDOW_MS && this.seen.size <= MAX_REMEMBERED) break;
      this.seen.delete(id);
    }
    if (this.seen.has(deliveryId)) return true;
    this.seen.set(deliveryId, now);
    return false;
  }
}

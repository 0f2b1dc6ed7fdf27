import { CancelledError } from '../errors/CancelledError.js';
import { systemClock, type Clock } from '../util/clock.js';

/** Why a wait for a webhook ended: the webhook came (verified), or the fallback deadline passed first. */
export type WakeReason = 'webhook' | 'deadline';

/** A webhook that arrived before anyone waited for it is kept this long (the job finished before its wait began). */
const EARLY_HINT_TTL_MS = 10 * 60_000;
/** Early hints kept at most; the oldest go first. A lost hint only costs a fallback poll. */
const MAX_EARLY_HINTS = 10_000;

/**
 * Wake-ups for turns waiting on a provider's webhook, keyed by provider and request id. A
 * verified webhook is only a hint that the job has ended: whoever waits then fetches the
 * result from the provider as usual. One registry per engine, passed in (never global), so
 * two engines in one process never wake each other's turns.
 *
 * @example
 * const hints = new WebhookHints();
 * const reason = await hints.wait('fal', requestId, 120_000, signal); // 'webhook' or 'deadline'
 * hints.notify('fal', requestId); // from the webhook route, after verification
 */
export class WebhookHints {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Hints with nobody waiting yet, and when each stops counting. */
  private readonly early = new Map<string, number>();

  constructor(private readonly clock: Clock = systemClock) {}

  /**
   * Resolves `webhook` when {@link notify} is called for the job (or was, shortly before), or
   * `deadline` after `fallbackMs`; rejects with CancelledError when `signal` aborts.
   */
  async wait(provider: string, requestId: string, fallbackMs: number, signal?: AbortSignal): Promise<WakeReason> {
    const key = keyOf(provider, requestId);
    if (signal?.aborted) throw new CancelledError(`waiting for the webhook of ${requestId} was aborted`, { requestId, cause: signal.reason });
    if (this.takeEarly(key)) return 'webhook';
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let woken = false;
    const wake = () => {
      woken = true;
      stop.abort();
    };
    let set = this.waiters.get(key);
    if (!set) this.waiters.set(key, (set = new Set()));
    set.add(wake);
    try {
      await this.clock.sleep(fallbackMs, stop.signal);
      return 'deadline';
    } catch (error) {
      if (woken) return 'webhook';
      throw new CancelledError(`waiting for the webhook of ${requestId} was aborted`, { requestId, cause: signal?.reason ?? error });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      set.delete(wake);
      if (set.size === 0) this.waiters.delete(key);
    }
  }

  /** Wakes every wait for the job; with none under way, keeps the hint for a wait that starts soon. Returns whether one was woken. */
  notify(provider: string, requestId: string): boolean {
    const key = keyOf(provider, requestId);
    const set = this.waiters.get(key);
    if (set && set.size > 0) {
      for (const wake of [...set]) wake();
      return true;
    }
    this.early.delete(key);
    this.early.set(key, this.clock.now() + EARLY_HINT_TTL_MS);
    while (this.early.size > MAX_EARLY_HINTS) this.early.delete(this.early.keys().next().value!);
    return false;
  }

  /** Whether a wait for the job is under way in this process. */
  isWaiting(provider: string, requestId: string): boolean {
    return (this.waiters.get(keyOf(provider, requestId))?.size ?? 0) > 0;
  }

  private takeEarly(key: string): boolean {
    const until = this.early.get(key);
    if (until === undefined) return false;
    this.early.delete(key);
    return until >= this.clock.now();
  }
}

function keyOf(provider: string, requestId: string): string {
  return `${provider}\n${requestId}`;
}

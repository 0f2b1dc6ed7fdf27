import type { EngineEvent, EngineEventInput } from './events.js';
import { EventSubscription, type SubscriptionFilter } from './EventSubscription.js';

type Listener = (event: EngineEvent) => void;

/**
 * Fan-out of engine events with a bounded history, so a client that reconnects with the
 * last id it saw (SSE `Last-Event-ID`) gets what it missed.
 *
 * The history is one ring of the last `historyTotal` events of all sessions, of which a
 * session replays at most its last `historyPerSession`. So a long-running server holds the
 * recent past of the sessions it serves, not every event of every session it has ever
 * served. A reconnect from before what is kept misses the dropped events; a turn's own
 * stream then answers from the store instead (see `src/server/sse.ts`).
 */
export class EventBus {
  private nextId = 1;
  private readonly listeners = new Set<{ sessionId?: string; listener: Listener }>();
  /** The last `historyTotal` events, oldest at `next` once the ring has filled. */
  private readonly ring: (EngineEvent | undefined)[];
  private next = 0;

  constructor(
    private readonly historyPerSession = 1000,
    private readonly now: () => number = Date.now,
    private readonly historyTotal = 10_000,
  ) {
    if (!Number.isInteger(historyTotal) || historyTotal < 1) throw new RangeError(`historyTotal must be a whole number ≥ 1, got ${historyTotal}`);
    this.ring = new Array<EngineEvent | undefined>(historyTotal).fill(undefined);
  }

  /** The id of the last event emitted (0 before any): a subscription `afterId` it replays from. */
  get lastId(): number {
    return this.nextId - 1;
  }

  emit(event: EngineEventInput): EngineEvent {
    const full = { ...event, id: this.nextId++, at: this.now() } as EngineEvent;
    this.ring[this.next] = full;
    this.next = (this.next + 1) % this.historyTotal;
    for (const entry of this.listeners) {
      if (entry.sessionId && entry.sessionId !== full.sessionId) continue;
      try {
        entry.listener(full);
      } catch {
        // A listener's bug must not break the turn that emitted the event.
      }
    }
    return full;
  }

  /** Calls `listener` for every later event (of one session, or all). Returns an unsubscribe function. */
  subscribe(listener: Listener, filter: { sessionId?: string } = {}): () => void {
    const entry = { sessionId: filter.sessionId, listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  /** Events of a session after `afterId`, oldest first, from the bounded history. */
  since(sessionId: string, afterId = 0): EngineEvent[] {
    // A scan of the whole ring: it runs only when a client (re)connects, and spares every
    // session a list of its own.
    const found: EngineEvent[] = [];
    for (let i = 0; i < this.historyTotal; i++) {
      const e = this.ring[(this.next + i) % this.historyTotal];
      if (e !== undefined && e.sessionId === sessionId && e.id > afterId) found.push(e);
    }
    return found.length > this.historyPerSession ? found.slice(-this.historyPerSession) : found;
  }

  /** A subscription (one session, or all) listening from now; see EventSubscription. */
  stream(filter: SubscriptionFilter = {}): EventSubscription {
    return new EventSubscription(this, filter);
  }
}

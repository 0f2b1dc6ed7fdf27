import type { EngineEvent } from './events.js';

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

  emit(event: Omit<EngineEvent, 'id' | 'at'>): EngineEvent {
    // Not `{ ...event, id, at }`: in V8 11.3 (Node 20) a spread followed by more properties
    // gives every object its own hidden class when the site is not megamorphic, about 300
    // bytes per kept event on top of the event itself.
    const full: EngineEvent = Object.assign({}, event, { id: this.nextId++, at: this.now() });
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
    // A scan of the whole ring (10,000 slots by default: under 0.1 ms): it runs when a
    // client (re)connects, and spares every session a list of its own.
    const found: EngineEvent[] = [];
    for (let i = 0; i < this.historyTotal; i++) {
      const e = this.ring[(this.next + i) % this.historyTotal];
      if (e !== undefined && e.sessionId === sessionId && e.id > afterId) found.push(e);
    }
    return found.length > this.historyPerSession ? found.slice(-this.historyPerSession) : found;
  }

  /**
   * An async iterable of events (one session, or all), first replaying history after
   * `afterId` when a session is given. Ends when `signal` aborts.
   */
  async *stream(filter: { sessionId?: string; afterId?: number; signal?: AbortSignal } = {}): AsyncGenerator<EngineEvent> {
    const buffer: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.subscribe((e) => {
      buffer.push(e);
      wake?.();
    }, filter);
    const onAbort = () => wake?.();
    filter.signal?.addEventListener('abort', onAbort);
    try {
      let lastId = filter.afterId ?? 0;
      if (filter.sessionId && filter.afterId !== undefined) {
        for (const e of this.since(filter.sessionId, filter.afterId)) {
          lastId = e.id;
          yield e;
        }
      }
      while (!filter.signal?.aborted) {
        if (buffer.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        const e = buffer.shift()!;
        if (e.id <= lastId) continue;
        lastId = e.id;
        yield e;
      }
    } finally {
      unsubscribe();
      filter.signal?.removeEventListener('abort', onAbort);
    }
  }
}

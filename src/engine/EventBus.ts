import type { EngineEvent } from './events.js';

type Listener = (event: EngineEvent) => void;

/**
 * Fan-out of engine events with a bounded per-session history, so a client that reconnects
 * with the last id it saw (SSE `Last-Event-ID`) gets what it missed.
 */
export class EventBus {
  private nextId = 1;
  private readonly listeners = new Set<{ sessionId?: string; listener: Listener }>();
  private readonly history = new Map<string, EngineEvent[]>();

  constructor(private readonly historyPerSession = 1000, private readonly now: () => number = Date.now) {}

  emit(event: Omit<EngineEvent, 'id' | 'at'>): EngineEvent {
    const full: EngineEvent = { ...event, id: this.nextId++, at: this.now() };
    const list = this.history.get(full.sessionId) ?? [];
    list.push(full);
    if (list.length > this.historyPerSession) list.splice(0, list.length - this.historyPerSession);
    this.history.set(full.sessionId, list);
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
    return (this.history.get(sessionId) ?? []).filter((e) => e.id > afterId);
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

import type { EventBus } from './EventBus.js';
import type { EngineEvent, GapEvent } from './events.js';

export interface SubscriptionFilter {
  /** Only this session's events. */
  sessionId?: string;
  /** Only this turn's events (needs `sessionId`); the subscription ends after the turn's final event. */
  turnId?: string;
  /** First replay the kept events after this id (needs `sessionId`), e.g. an SSE `Last-Event-ID`. */
  afterId?: number;
  /** Ends the subscription. */
  signal?: AbortSignal;
  /** Events held for a consumer that has not read them yet, before a `gap` replaces the rest. Default 1000. */
  bufferSize?: number;
}

const FINAL_TYPES = new Set<EngineEvent['type']>(['turn.succeeded', 'turn.failed', 'turn.cancelled']);

/**
 * Engine events as an async iterable that listens from the moment it is created, not from the
 * first `next()`: subscribe, start an edit, then iterate, and every event of the edit is there.
 * Unread events wait in a bounded buffer. A consumer that falls further behind gets one `gap`
 * event saying how many were dropped, in their place, instead of memory growing without limit.
 */
export class EventSubscription implements AsyncIterableIterator<EngineEvent | GapEvent> {
  private readonly buffer: EngineEvent[] = [];
  private missed = 0;
  private reader: ((result: IteratorResult<EngineEvent | GapEvent>) => void) | undefined;
  private ended = false;
  private readonly bufferSize: number;
  private readonly unsubscribe: () => void;
  private readonly onAbort = () => this.end();

  constructor(bus: EventBus, private readonly filter: SubscriptionFilter = {}) {
    this.bufferSize = filter.bufferSize ?? 1000;
    if (!Number.isInteger(this.bufferSize) || this.bufferSize < 1) throw new RangeError(`bufferSize must be a whole number ≥ 1, got ${filter.bufferSize}`);
    // The listener and the history are taken in one synchronous step: no event can fall
    // between them, and none comes twice.
    this.unsubscribe = bus.subscribe((event) => this.push(event), { sessionId: filter.sessionId });
    if (filter.sessionId !== undefined && filter.afterId !== undefined) for (const event of bus.since(filter.sessionId, filter.afterId)) this.push(event);
    if (filter.signal?.aborted) this.end();
    else filter.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  next(): Promise<IteratorResult<EngineEvent | GapEvent>> {
    const event = this.buffer.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.missed > 0) {
      const gap: GapEvent = { type: 'gap', missed: this.missed };
      this.missed = 0;
      return Promise.resolve({ value: gap, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.reader = resolve));
  }

  /** Stops listening; what is buffered is dropped. */
  return(): Promise<IteratorResult<EngineEvent | GapEvent>> {
    this.buffer.length = 0;
    this.missed = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private push(event: EngineEvent): void {
    if (this.ended) return;
    if (this.filter.turnId !== undefined && event.turnId !== this.filter.turnId) return;
    const final = this.filter.turnId !== undefined && FINAL_TYPES.has(event.type);
    if (this.reader) {
      const reader = this.reader;
      this.reader = undefined;
      reader({ value: event, done: false });
    } else if (this.missed > 0 || this.buffer.length >= this.bufferSize) {
      // Once events are dropped, later ones are too until the gap is read: it marks one place.
      this.missed++;
    } else {
      this.buffer.push(event);
    }
    if (final) this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe();
    this.filter.signal?.removeEventListener('abort', this.onAbort);
    const reader = this.reader;
    this.reader = undefined;
    reader?.({ value: undefined, done: true });
  }
}

import type { ChangeFeed, TurnChange } from '../store/ChangeFeed.js';
import type { SessionStore } from '../store/SessionStore.js';
import type { TurnRow, TurnStatus } from '../store/schema.js';
import { IN_FLIGHT_STATUSES } from '../store/transitions.js';
import type { EventBus } from './EventBus.js';
import type { EngineEvent, EngineEventInput } from './events.js';

export interface ChangeRelayDeps {
  feed: ChangeFeed;
  /** Only reads: the relay never writes. */
  store: Pick<SessionStore, 'findTurn' | 'findSession'>;
  events: EventBus;
  /** This engine's lease holder name: a turn leased to it is run here, and the runner tells its events. */
  engineId: string;
  now: () => number;
  /** A turn first heard of already finished longer ago than this is history (an import), not news. Default 60 s. */
  staleMs?: number;
  /** How many turns' last told status is remembered. Default 10 000. */
  memory?: number;
  /** Where a change that could not be read is reported. Default: nowhere. */
  onError?: (error: Error) => void;
}

const IN_FLIGHT = new Set<TurnStatus>(IN_FLIGHT_STATUSES);

/**
 * Re-publishes on this engine's event bus the turns another process (a `kontext edit` beside
 * `kontext serve`, another server of a fleet) writes to the shared store, as the events a
 * client would have seen had this process run them: turn.created, head.moved when the
 * session's HEAD went to or off the turn, then turn.submitted / running / succeeded / failed /
 * cancelled as its stored status moves. So an SSE client of this server follows them live.
 *
 * Each event is told once. The relay remembers the last status told for each turn, its own
 * and the engine's alike (it listens to the bus), so a change that only repeats what was told
 * is dropped: the feed also reports this process's own writes, whose events the engine emits
 * itself. A turn in flight under this engine's lease is skipped for the same reason. States a
 * turn passed between two reads (submitted, on a fast provider) are not made up afterwards.
 */
export class ChangeRelay {
  /** Last status told per turn, oldest first (a Map keeps insertion order), capped at `memory`. */
  private readonly told = new Map<string, TurnStatus>();
  /** Last HEAD told per session. */
  private readonly heads = new Map<string, string | null>();
  private readonly staleMs: number;
  private readonly memory: number;
  private readonly unsubscribeBus: () => void;
  private readonly unsubscribeFeed: () => void;
  /** Changes are handled one at a time, in the order the feed gave them, so events keep their order. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: ChangeRelayDeps) {
    this.staleMs = deps.staleMs ?? 60_000;
    this.memory = deps.memory ?? 10_000;
    this.unsubscribeBus = deps.events.subscribe((event) => this.remember(event));
    this.unsubscribeFeed = deps.feed.subscribe((change) => {
      this.queue = this.queue.then(() => this.relay(change)).catch((error: unknown) => deps.onError?.(error as Error));
    });
  }

  /** Stops listening and waits for the change being handled; the feed stays open (it is its owner's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeFeed();
    this.unsubscribeBus();
    await this.queue;
  }

  private remember(event: EngineEvent): void {
    if (event.type === 'head.moved') this.heads.set(event.sessionId, event.turnId);
    else this.setTold(event.turnId, event.status);
  }

  private setTold(turnId: string, status: TurnStatus): void {
    this.told.delete(turnId);
    this.told.set(turnId, status);
    if (this.told.size > this.memory) this.told.delete(this.told.keys().next().value!);
  }

  private async relay(change: TurnChange): Promise<void> {
    if (this.closed) return;
    const { store } = this.deps;
    const turn = await store.findTurn(change.turnId);
    // Deleted since, or run here: nothing to tell, or the runner tells it.
    if (!turn || (IN_FLIGHT.has(turn.status) && turn.leaseOwner === this.deps.engineId)) return;
    const before = this.told.get(turn.id);
    if (before === turn.status) return;
    const isNew = before === undefined;
    if (isNew && !IN_FLIGHT.has(turn.status) && turn.finishedAt !== null && turn.finishedAt.getTime() < this.deps.now() - this.staleMs) {
      this.setTold(turn.id, turn.status);
      return;
    }
    const session = await store.findSession(turn.sessionId);
    if (!session) return;
    const emit = (event: EngineEventInput) => this.deps.events.emit(event);
    if (isNew) emit({ type: 'turn.created', sessionId: turn.sessionId, turnId: turn.id, parentId: turn.parentId, prompt: turn.prompt, status: turn.status });
    const toldHead = this.heads.get(turn.sessionId);
    // Without a HEAD told before, only a move to this new turn is known to be one (an edit's).
    const headMoved = toldHead === undefined ? isNew && session.headTurnId === turn.id : session.headTurnId !== toldHead;
    if (headMoved) emit({ type: 'head.moved', sessionId: turn.sessionId, turnId: session.headTurnId });
    else if (toldHead === undefined) this.heads.set(turn.sessionId, session.headTurnId);
    const statusEvent = statusEventOf(turn);
    if (statusEvent) emit(statusEvent);
    this.setTold(turn.id, turn.status);
  }
}

/** The event that tells a turn's status as stored; none for pending (turn.created says it). */
function statusEventOf(turn: TurnRow): EngineEventInput | undefined {
  const { sessionId, id: turnId } = turn;
  switch (turn.status) {
    case 'pending':
      return undefined;
    case 'submitted':
      return { type: 'turn.submitted', sessionId, turnId, status: 'submitted' };
    case 'running':
      return { type: 'turn.running', sessionId, turnId, status: 'running' };
    case 'succeeded':
      return { type: 'turn.succeeded', sessionId, turnId, status: 'succeeded' };
    case 'failed':
    case 'cancelled':
      return {
        type: turn.status === 'failed' ? 'turn.failed' : 'turn.cancelled',
        sessionId,
        turnId,
        status: turn.status,
        error: { code: turn.errorCode ?? 'INTERNAL', message: turn.errorMessage ?? '' },
      };
  }
}

import type { LogLine } from '../providers/Provider.js';
import type { TurnStatus } from '../store/schema.js';

/** What every engine event carries. */
interface EventBase {
  /** Increases by one per event within an engine; the server uses it as the SSE id. */
  id: number;
  /** When it was emitted, in milliseconds since the epoch. */
  at: number;
  sessionId: string;
}

/** A turn was written (pending, or already finished for source images and memo hits). */
export interface TurnCreatedEvent extends EventBase {
  type: 'turn.created';
  turnId: string;
  parentId: string | null;
  prompt: string | null;
  status: TurnStatus;
}

/**
 * A turn waits: at `position` in the provider's queue (`local: false`), in this engine's own
 * queue (`local: true`), or for its parent turn to finish (`waitingFor`, the parent's id).
 */
export interface TurnQueuedEvent extends EventBase {
  type: 'turn.queued';
  turnId: string;
  status: TurnStatus;
  position?: number;
  local?: boolean;
  waitingFor?: string;
}

/** The provider accepted the request; its request id is stored. */
export interface TurnSubmittedEvent extends EventBase {
  type: 'turn.submitted';
  turnId: string;
  status: 'submitted';
}

/** The provider is working on it; `logs` holds the new log lines, if any. */
export interface TurnRunningEvent extends EventBase {
  type: 'turn.running';
  turnId: string;
  status: 'running';
  logs?: readonly LogLine[];
}

export interface TurnSucceededEvent extends EventBase {
  type: 'turn.succeeded';
  turnId: string;
  status: 'succeeded';
}

/** The turn ended without a result: `error` has the stable code and the message. */
export interface TurnEndedBadlyEvent extends EventBase {
  type: 'turn.failed' | 'turn.cancelled';
  turnId: string;
  status: 'failed' | 'cancelled';
  error: { code: string; message: string };
}

/** HEAD moved (edit, undo, redo, checkout, replay, or off a turn that failed) to `turnId`. */
export interface HeadMovedEvent extends EventBase {
  type: 'head.moved';
  turnId: string | null;
}

/** What the engine tells listeners (the CLI's progress line, the server's SSE stream): a union on `type`. */
export type EngineEvent =
  | TurnCreatedEvent
  | TurnQueuedEvent
  | TurnSubmittedEvent
  | TurnRunningEvent
  | TurnSucceededEvent
  | TurnEndedBadlyEvent
  | HeadMovedEvent;

export type EngineEventType = EngineEvent['type'];

/** An event as emitted, before the bus numbers and times it. */
export type EngineEventInput = EngineEvent extends infer E ? (E extends EngineEvent ? Omit<E, 'id' | 'at'> : never) : never;

/**
 * Told to a subscriber that fell more than its buffer behind: `missed` events after the one
 * it saw last were dropped rather than held without bound. Re-read what it shows from the
 * engine (or reconnect with the last id seen) to catch up.
 */
export interface GapEvent {
  type: 'gap';
  missed: number;
}

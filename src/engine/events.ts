import type { LogLine } from '../providers/Provider.js';
import type { TurnStatus } from '../store/schema.js';

export type EngineEventType =
  | 'turn.created'
  | 'turn.queued'
  | 'turn.submitted'
  | 'turn.running'
  | 'turn.succeeded'
  | 'turn.failed'
  | 'turn.cancelled'
  | 'head.moved';

/** What the engine tells listeners (the CLI's progress line, the server's SSE stream). */
export interface EngineEvent {
  /** Increases by one per event within an engine; the server uses it as the SSE id. */
  id: number;
  type: EngineEventType;
  sessionId: string;
  turnId: string | null;
  at: number;
  status?: TurnStatus;
  /** queued: position in the provider's queue, or in our own queue when `local` is true. */
  position?: number;
  local?: boolean;
  /** running: new log lines. */
  logs?: readonly LogLine[];
  /** failed: the error's stable code and message. */
  error?: { code: string; message: string };
  prompt?: string | null;
  parentId?: string | null;
}

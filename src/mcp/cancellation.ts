import { CancelledError } from '../errors/CancelledError.js';
import type { ToolExtra } from './progress.js';

/** Whether the connection of a server has closed; set by createMcpServer. */
export interface ConnectionState {
  closed: boolean;
}

/**
 * A signal that aborts when the client cancels the call (notifications/cancelled), and not when
 * the connection merely goes away. The SDK aborts a request's signal for both; a hang-up must
 * not cancel turns, as on the HTTP API: a turn already submitted is paid for, and the next
 * `kontext` command or server collects its result by request id.
 *
 * The SDK aborts every request's signal on close and only then calls `onclose`, in one
 * synchronous step: by the microtask after the abort, a close has been recorded in `connection`.
 */
export function clientCancellation(extra: ToolExtra, connection: ConnectionState): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = () =>
    queueMicrotask(() => {
      if (!connection.closed) controller.abort(new CancelledError('the MCP client cancelled the call'));
    });
  if (extra.signal.aborted) onAbort();
  else extra.signal.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, dispose: () => extra.signal.removeEventListener('abort', onAbort) };
}

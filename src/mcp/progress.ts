import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { EngineEvent, GapEvent } from '../engine/events.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What a turn is doing, in the words a chat shows under a running tool call. */
export function describeEvent(event: EngineEvent): string | undefined {
  const turn = 'turnId' in event && event.turnId ? `turn ${event.turnId}` : 'turn';
  switch (event.type) {
    case 'turn.created':
      return event.status === 'pending' ? `${turn}: written, waiting to start` : undefined;
    case 'turn.queued':
      if (event.waitingFor) return `${turn}: waiting for turn ${event.waitingFor} to finish`;
      return `${turn}: ${event.local ? 'waiting for a local slot' : "in the provider's queue"}${event.position === undefined ? '' : ` (position ${event.position})`}`;
    case 'turn.submitted':
      return `${turn}: submitted to the provider`;
    case 'turn.running': {
      const last = event.logs?.at(-1)?.message;
      return `${turn}: running${last ? `: ${last}` : ''}`;
    }
    case 'turn.succeeded':
      return `${turn}: succeeded`;
    case 'turn.failed':
    case 'turn.cancelled':
      return `${turn}: ${event.status}: ${event.error.code}: ${event.error.message}`;
    case 'head.moved':
      return undefined;
  }
}

/**
 * Sends engine events to the caller as `notifications/progress` on its request, when it asked
 * for progress (a `progressToken`), until the events end. The count only grows, as MCP
 * requires; there is no total, since a turn's steps are not known in advance. A caller gone
 * away is not an error here: the turn goes on, and its result is in the store.
 */
export async function forwardProgress(events: AsyncIterable<EngineEvent | GapEvent>, extra: ToolExtra): Promise<void> {
  const progressToken = extra._meta?.progressToken;
  let progress = 0;
  for await (const event of events) {
    if (progressToken === undefined || event.type === 'gap') continue;
    const message = describeEvent(event);
    if (message === undefined) continue;
    progress += 1;
    await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } }).catch(() => undefined);
  }
}

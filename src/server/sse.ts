import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { EngineEvent, EngineEventType } from '../engine/events.js';
import { MalformedRequestError } from './errors/MalformedRequestError.js';
import type { ServerContext } from './context.js';
import { eventDoc } from '../present/index.js';

/** Open event streams, so shutdown can end them (an open SSE response would hold the server open forever). */
export class StreamRegistry {
  private readonly controllers = new Set<AbortController>();
  private closed = false;

  open(): AbortController {
    const controller = new AbortController();
    if (this.closed) controller.abort();
    else this.controllers.add(controller);
    return controller;
  }

  release(controller: AbortController): void {
    this.controllers.delete(controller);
  }

  get size(): number {
    return this.controllers.size;
  }

  /** Ends every open stream and every later one; clients reconnect (with Last-Event-ID) to the next server. */
  closeAll(): void {
    this.closed = true;
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
  }
}

const TERMINAL_TYPES = new Set<EngineEventType>(['turn.succeeded', 'turn.failed', 'turn.cancelled']);
const TERMINAL_STATUSES = new Set(['succeeded', 'failed', 'cancelled']);
/** How long a browser waits before reconnecting a dropped stream. */
const RETRY_MS = 1000;

/** The SSE id of an event: `<epoch>.<n>`. The epoch tells a resuming client whether it still talks to the same numbering. */
export function formatEventId(epoch: string, id: number): string {
  return `${epoch}.${id}`;
}

/**
 * Where to resume from `Last-Event-ID` (or `?after=`): the number after our epoch; 0 (all this
 * process still holds) when the id is from an earlier server, whose numbering meant something
 * else; undefined when nothing was given.
 */
export function resumePoint(raw: string | undefined, epoch: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const match = /^([A-Za-z0-9_-]{1,40})\.(\d{1,15})$/.exec(raw.trim());
  if (!match) throw new MalformedRequestError(`Last-Event-ID '${raw.slice(0, 80)}' is not an event id this server gave out (<epoch>.<number>)`);
  return match[1] === epoch ? Number(match[2]) : 0;
}

/**
 * Streams a session's engine events (or one turn's) as server-sent events: `event:` is the
 * type (turn.created, turn.queued, turn.running with log lines, turn.succeeded, …), `data:` the
 * event as JSON, `id:` what to send back as Last-Event-ID to resume without a gap. A turn's
 * stream ends after its final event; a session's stream runs until the client leaves or the
 * server shuts down. A comment line every `heartbeatMs` keeps proxies from closing it.
 */
export function eventStream(c: Context, ctx: ServerContext, target: { sessionId: string; turnId?: string; afterId: number | undefined }): Response {
  const { engine, epoch } = ctx;
  const { sessionId, turnId } = target;
  // A turn's stream replays that turn from the start: it is usually opened just after the 202.
  const afterId = target.afterId ?? (turnId ? 0 : undefined);
  return streamSSE(
    c,
    async (stream) => {
      const controller = ctx.streams.open();
      stream.onAbort(() => controller.abort());
      const heartbeat = setInterval(() => {
        stream.write(': keep-alive\n\n').catch(() => controller.abort());
      }, ctx.heartbeatMs);
      heartbeat.unref();
      const events = engine.events.stream({ sessionId, afterId, signal: controller.signal });
      // The subscription listens from here, before anything is awaited, so whatever happens
      // once the client has the response (and the turn check below) is seen.
      const first = events.next();
      try {
        await stream.write(`retry: ${RETRY_MS}\n\n`);
        const plan = turnId ? await turnStreamPlan(ctx, sessionId, turnId, afterId ?? 0) : 'stream';
        if (plan !== 'stream') {
          if (plan !== 'seen') {
            // Its final event is no longer in this process's memory (another process ran it, or
            // we restarted): say how it ended, without an id, so resuming stays exact.
            await stream.writeSSE({ event: `turn.${plan}`, data: JSON.stringify({ type: `turn.${plan}`, sessionId, turnId, status: plan, replayed: true }) });
          }
          controller.abort();
          await first;
          return;
        }
        for (let next = await first; !next.done; next = await events.next()) {
          // Fallen too far behind: end the stream, and the client's reconnect with its
          // Last-Event-ID replays what it missed from the kept history.
          if (next.value.type === 'gap') break;
          const event: EngineEvent = next.value;
          if (turnId && event.turnId !== turnId) continue;
          await stream.writeSSE({ id: formatEventId(epoch, event.id), event: event.type, data: JSON.stringify(eventDoc(event)) });
          if (turnId && TERMINAL_TYPES.has(event.type)) break;
        }
      } finally {
        clearInterval(heartbeat);
        controller.abort();
        await events.return();
        ctx.streams.release(controller);
      }
    },
    async (error) => {
      ctx.log(`event stream of session ${sessionId}: ${error.message}`);
    },
  );
}

/**
 * How a turn's stream goes: `stream` while the turn runs or its final event is still to be
 * replayed; `seen` when the client already has that final event; the final status when the
 * turn ended but its events are not in memory any more.
 */
async function turnStreamPlan(ctx: ServerContext, sessionId: string, turnId: string, afterId: number): Promise<'stream' | 'seen' | 'succeeded' | 'failed' | 'cancelled'> {
  const turn = await ctx.engine.store.getTurn(turnId);
  if (!TERMINAL_STATUSES.has(turn.status)) return 'stream';
  const final = ctx.engine.events.since(sessionId, 0).find((e) => e.turnId === turnId && TERMINAL_TYPES.has(e.type));
  if (!final) return turn.status as 'succeeded' | 'failed' | 'cancelled';
  return final.id > afterId ? 'stream' : 'seen';
}

import { describe, expect, it, onTestFinished } from 'vitest';
import { workspace, type SessionDoc, type TurnDoc } from '../cli/support/cli.js';
import { createParser } from 'eventsource-parser';
import { startServe } from '../support/serveProcess.js';

/**
 * The chat page's case: `kontext serve` in one process, `kontext edit` in a terminal (another
 * process) on the same SQLite file, and a browser on the server's event stream.
 */
describe('a CLI beside a server, on one SQLite file', () => {
  it("an SSE client of the server receives the CLI's turn live: created, HEAD, succeeded, in order, each once", async () => {
    const ws = await workspace();
    onTestFinished(() => ws.remove());
    const { session } = await ws.json<{ session: SessionDoc }>(['new', ws.image, '--title', 'kitchen']);
    const server = await startServe({ db: ws.db, cwd: ws.dir });
    onTestFinished(async () => void (await server.stop()));

    const stream = await fetch(`${server.url}/sessions/${session.id}/events`);
    expect(stream.status).toBe(200);
    // Read from before the edit starts, so everything that arrives comes live over this stream.
    const sse = collect(stream);
    const edited = await ws.json<{ turn: TurnDoc }>(['--session', session.id, 'edit', 'make it red', '--seed', '7']);
    const turnId = edited.turn.id;
    expect(edited.turn.status).toBe('succeeded');
    const events = await sse.until((es) => es.some((e) => e.data.turnId === turnId && e.event === 'turn.succeeded'));

    const ofTurn = events.filter((e) => e.data.turnId === turnId);
    const types = ofTurn.map((e) => e.event);
    expect(types[0]).toBe('turn.created');
    expect(types.at(-1)).toBe('turn.succeeded');
    expect(types).toContain('head.moved');
    expect(new Set(types).size).toBe(types.length);
    expect(ofTurn[0]!.data).toMatchObject({ sessionId: session.id, parentId: session.headTurnId, prompt: 'make it red' });
    const ids = ofTurn.map(idNumber);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    // What the succeeded event announces is readable from the server at once: the outputs are stored.
    const turn = (await (await fetch(`${server.url}/sessions/${session.id}/turns/${turnId}`)).json()) as TurnDoc;
    expect(turn.status).toBe('succeeded');
    expect(turn.outputs.map((o) => o.hash)).toEqual(edited.turn.outputs.map((o) => o.hash));
  });

  it('a second edit from the CLI is told too, and the first one is not told again', async () => {
    const ws = await workspace();
    onTestFinished(() => ws.remove());
    const { session } = await ws.json<{ session: SessionDoc }>(['new', ws.image]);
    const server = await startServe({ db: ws.db, cwd: ws.dir });
    onTestFinished(async () => void (await server.stop()));
    const stream = await fetch(`${server.url}/sessions/${session.id}/events`);
    const sse = collect(stream);
    const done: string[] = [];
    for (const prompt of ['make it red', 'now blue']) done.push((await ws.json<{ turn: TurnDoc }>(['--session', session.id, 'edit', prompt])).turn.id);
    await sse.until((es) => done.every((id) => es.some((e) => e.data.turnId === id && e.event === 'turn.succeeded')));
    // A few more polls of the server's feed: nothing about these turns may come again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = sse.events;
    const told = events.filter((e) => e.event !== undefined && e.event !== 'head.moved').map((e) => `${e.event}:${e.data.turnId}`);
    expect(told.filter((t) => t.startsWith('turn.created'))).toEqual(done.map((id) => `turn.created:${id}`));
    expect(told.filter((t) => t.startsWith('turn.succeeded'))).toEqual(done.map((id) => `turn.succeeded:${id}`));
    const heads = events.filter((e) => e.event === 'head.moved').map((e) => e.data.turnId);
    expect(heads).toEqual(done);
  });
});

interface SseEvent {
  event?: string;
  id?: string;
  data: Record<string, unknown>;
}

const idNumber = (e: SseEvent) => Number(e.id!.split('.')[1]);

/** Reads an event stream in the background; `until` resolves once the events so far satisfy it (fails after 20 s). */
function collect(res: Response) {
  const events: SseEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event, id: e.id, data: JSON.parse(e.data) as Record<string, unknown> }) });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    for (let next = await reader.read(); !next.done; next = await reader.read()) parser.feed(next.value);
  })().catch(() => undefined);
  onTestFinished(() => reader.cancel().catch(() => undefined));
  return {
    events,
    async until(done: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
      for (const deadline = Date.now() + 20_000; !done(events); await new Promise((resolve) => setTimeout(resolve, 20))) {
        if (Date.now() > deadline) throw new Error(`the stream did not show what was expected within 20 s; it showed: ${events.map((e) => e.event).join(', ')}`);
      }
      return events;
    },
  };
}

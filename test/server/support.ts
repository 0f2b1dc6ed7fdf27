import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import type { EndpointRegistry } from '../../src/kontext/endpoints.js';
import { createLocalProvider, type LocalProviderOptions } from '../../src/providers/local/index.js';
import { createServer, type CreateServerOptions } from '../../src/server/index.js';
import type { ConnectHook, ConnectTarget, LookupFn } from '../../src/net/ssrf/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { testImage as testImageBuffer } from '../support/images.js';

/** The shared test picture as a plain Uint8Array, which fetch and FormData take as a body. */
export async function testImage(...args: Parameters<typeof testImageBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await testImageBuffer(...args));
}

export const ALICE = { owner: 'alice', token: 'alice-token-0123456789abcdef' };
export const BOB = { owner: 'bob', token: 'bob-token-fedcba9876543210xx' };
export const TOKENS = `${ALICE.owner}:${ALICE.token},${BOB.owner}:${BOB.token}`;

export function makeEngine(options: { local?: LocalProviderOptions; endpoints?: EndpointRegistry } = {}): SessionEngine {
  return new SessionEngine({
    store: SessionStore.inMemory(),
    blobs: new MemoryBlobStore(),
    providers: [createLocalProvider(options.local)],
    endpoints: options.endpoints,
  });
}

/** A resolver for tests that must not resolve anything: any DNS query would leave the machine. */
export const noLookup: LookupFn = async (hostname) => {
  throw Object.assign(new Error(`test resolver: no lookups expected (asked for ${hostname})`), { code: 'ENOTFOUND' });
};

/**
 * A connect hook that fails the test on any address outside 127.0.0.0/8 and ::1: it throws
 * (so the socket is never opened) and records the violation for `expect(violations).toEqual([])`.
 */
export function loopbackOnly(): { hook: ConnectHook; connects: ConnectTarget[]; violations: ConnectTarget[] } {
  const connects: ConnectTarget[] = [];
  const violations: ConnectTarget[] = [];
  const hook: ConnectHook = (target) => {
    const parsed = ipaddr.process(target.address);
    if (parsed.range() !== 'loopback') {
      violations.push(target);
      throw new Error(`TEST VIOLATION: tried to connect to ${target.address}`);
    }
    connects.push(target);
  };
  return { hook, connects, violations };
}

/** A server with tests' defaults: no env tokens, no DNS, no page unless asked, quiet log. */
export function makeServer(engine: SessionEngine, options: CreateServerOptions = {}) {
  const logs: string[] = [];
  const server = createServer(engine, {
    env: {},
    log: (line) => logs.push(line),
    ...options,
    ssrf: { lookup: noLookup, ...options.ssrf },
  });
  return { ...server, logs };
}

export function bearer(who: { token: string }): Record<string, string> {
  return { authorization: `Bearer ${who.token}` };
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** A loopback HTTP server for image URLs; `routes` answer by path. Closed by the returned function. */
export async function loopbackServer(routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>): Promise<{ port: number; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = createHttpServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Reads a server-sent event stream until `until` says stop (or the stream ends); returns the parsed events. */
export async function readEvents(
  res: Response,
  until: (events: SseEvent[]) => boolean,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseSse(block);
        if (event) events.push(event);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

export interface SseEvent {
  event?: string;
  id?: string;
  data: Record<string, unknown>;
}

function parseSse(block: string): SseEvent | undefined {
  const out: { event?: string; id?: string; data: string[] } = { data: [] };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i === -1 ? line : line.slice(0, i);
    const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'data') out.data.push(value);
    if (field === 'event') out.event = value;
    if (field === 'id') out.id = value;
  }
  if (out.data.length === 0) return undefined;
  return { event: out.event, id: out.id, data: JSON.parse(out.data.join('\n')) as Record<string, unknown> };
}

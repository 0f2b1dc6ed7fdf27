import { createHash } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, ImageContent, ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import { expect, onTestFinished } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { FAL_KONTEXT_PRO } from '../../src/kontext/endpoints.js';
import { createFalProvider } from '../../src/providers/fal/index.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { serve, type ServeListenOptions } from '../../src/server/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { parseDataUri } from '../../src/util/dataUri.js';
import { CLI, cliEnv } from '../cli/support/cli.js';
import { noLookup, TOKENS } from '../server/support.js';
import { startFalTestServer, type FalTestServer } from '../support/falTestServer.js';
import { testTempDir } from '../support/testTempDir.js';

export { ALICE, BOB } from '../server/support.js';

/** A fal-compatible server on 127.0.0.1, closed when the test finishes. */
export async function falServer(options: Parameters<typeof startFalTestServer>[0] = {}): Promise<FalTestServer> {
  const fal = await startFalTestServer(options);
  onTestFinished(() => fal.close());
  return fal;
}

/** An in-memory engine on the fal test server (or the local simulator), closed when the test finishes. */
export function engineOn(fal: FalTestServer | 'local'): SessionEngine {
  const provider = fal === 'local' ? createLocalProvider() : createFalProvider({ ...fal.clientOptions() });
  const engine = new SessionEngine({
    store: SessionStore.inMemory(),
    blobs: new MemoryBlobStore(),
    providers: [provider],
    ...(fal === 'local' ? {} : { defaultEndpoint: FAL_KONTEXT_PRO }),
    // Any DNS query would leave the machine.
    ssrf: { lookup: noLookup },
  });
  onTestFinished(async () => {
    await engine.close();
    await provider.close?.();
  });
  return engine;
}

/** `createServer` listening on 127.0.0.1 with alice's and bob's tokens; closed when the test finishes. */
export async function httpServer(engine: SessionEngine, options: ServeListenOptions = {}): Promise<{ url: string; logs: string[] }> {
  const logs: string[] = [];
  const running = await serve({ engine, port: 0, host: '127.0.0.1', tokens: TOKENS, env: {}, resume: false, shutdownGraceMs: 2000, log: (line) => logs.push(line), ...options, ssrf: { lookup: noLookup, ...options.ssrf } });
  onTestFinished(() => running.close());
  return { url: running.url, logs };
}

/** The SDK's own client over Streamable HTTP at `<url>/mcp`, with a bearer token; closed when the test finishes. */
export async function httpClient(url: string, token?: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {});
  const client = new Client({ name: 'kontext-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  onTestFinished(() => client.close());
  return client;
}

/**
 * The SDK's own client over stdio, spawning the built bin as a user's MCP config would:
 * `node dist/kontext.cjs --db <temp> mcp`, on the fal test server when given one (the local
 * simulator otherwise), with `key` as FAL_KEY (default the server's). Closed when the test finishes.
 */
export async function stdioClient(fal?: FalTestServer, key = fal?.key): Promise<{ client: Client; stderr: () => string }> {
  const db = `${testTempDir('kontext-mcp-')}/kontext.db`;
  const falEnv: Record<string, string> = fal ? { FAL_KEY: key!, FAL_QUEUE_URL: fal.queueUrl, FAL_RUN_URL: fal.runUrl, FAL_STORAGE_URL: fal.storageUrl } : {};
  const env = Object.fromEntries(Object.entries(cliEnv(falEnv)).filter((e): e is [string, string] => e[1] !== undefined));
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, '--db', db, '--provider', fal ? 'fal' : 'local', 'mcp'], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'kontext-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  onTestFinished(() => client.close());
  return { client, stderr: () => stderr };
}

/** Calls a tool, failing the test (with what it said) unless the result is not an error. */
export async function call(client: Client, name: string, args: Record<string, unknown>, options: Parameters<Client['callTool']>[2] = {}): Promise<CallToolResult> {
  const result = (await client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult;
  if (result.isError) throw new Error(`${name} answered an error: ${textOf(result)}`);
  return result;
}

/** Calls a tool that must fail; returns its error text. */
export async function callError(client: Client, name: string, args: Record<string, unknown>): Promise<{ text: string; error: { code: string; message: string; details: Record<string, unknown> } }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, `${name} should have failed, answered: ${textOf(result)}`).toBe(true);
  return { text: textOf(result), error: (result.structuredContent as { error: { code: string; message: string; details: Record<string, unknown> } }).error };
}

/** The first text block: the lines a person reads. */
export function textOf(result: CallToolResult): string {
  const block = result.content.find((c) => c.type === 'text');
  return block?.type === 'text' ? block.text : '';
}

export function imagesOf(result: CallToolResult): ImageContent[] {
  return result.content.filter((c): c is ImageContent => c.type === 'image');
}

export function linksOf(result: CallToolResult): ResourceLink[] {
  return result.content.filter((c): c is ResourceLink => c.type === 'resource_link');
}

/** A structured turn as the tools return it (the HTTP API's presenter). */
export interface TurnDoc {
  id: string;
  parentId: string | null;
  status: string;
  prompt: string | null;
  requestId: string | null;
  seedUsed: number | null;
  selectedOutput: number;
  outputs: { index: number; hash: string; url: string; width: number | null; height: number | null; contentType: string }[];
}
export interface SessionDoc {
  session: { id: string; headTurnId: string | null; headRef: string | null; owner: string | null };
  head: TurnDoc | null;
}

export const turnOf = (result: CallToolResult) => (result.structuredContent as { turn: TurnDoc }).turn;
export const sessionOf = (result: CallToolResult) => result.structuredContent as unknown as SessionDoc;

/** Reads an archived original through `resources/read`, checking it is the bytes its hash names. */
export async function readImage(client: Client, uri: string): Promise<Buffer> {
  const { contents } = await client.readResource({ uri });
  expect(contents).toHaveLength(1);
  const content = contents[0]!;
  if (!('blob' in content)) throw new Error(`${uri} came back as text`);
  const bytes = Buffer.from(content.blob, 'base64');
  expect(`kontext://images/${createHash('sha256').update(bytes).digest('hex')}`).toBe(uri);
  return bytes;
}

/**
 * Checks what a result shows of a turn: one JPEG preview per output that decodes and fits in
 * `maxPixels`, and a link to each original, whose bytes decode to the turn's recorded size.
 * Returns the originals' bytes, by output index.
 */
export async function expectTurnImages(client: Client, result: CallToolResult, turn: TurnDoc, maxPixels = 512): Promise<Buffer[]> {
  const previews = imagesOf(result);
  const links = linksOf(result);
  expect(previews).toHaveLength(turn.outputs.length);
  expect(links.map((l) => l.uri)).toEqual(turn.outputs.map((o) => `kontext://images/${o.hash}`));
  const originals: Buffer[] = [];
  for (const [i, output] of turn.outputs.entries()) {
    expect(previews[i]!.mimeType).toBe('image/jpeg');
    const preview = await sharp(Buffer.from(previews[i]!.data, 'base64')).metadata();
    expect(preview.format).toBe('jpeg');
    expect(Math.max(preview.width!, preview.height!)).toBeLessThanOrEqual(maxPixels);
    const original = await readImage(client, links[i]!.uri);
    const meta = await sharp(original).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual({ width: output.width, height: output.height });
    // The preview is the original, scaled down only when it is larger.
    const scale = Math.min(1, maxPixels / Math.max(meta.width!, meta.height!));
    expect(preview.width).toBe(Math.round(meta.width! * scale));
    originals.push(original);
  }
  return originals;
}

/** The bytes an `image_url` the fal test server received stands for: a data URI, or a file it serves (an output or an upload). */
export function imageUrlBytes(fal: FalTestServer, url: string): Buffer {
  if (url.startsWith('data:')) return parseDataUri(url).bytes;
  const bytes = fal.fileBytes(url);
  if (!bytes) throw new Error(`the fal test server holds no file at ${url}`);
  return bytes;
}

/** Polls `check` until it holds (the test's own timeout bounds the wait). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

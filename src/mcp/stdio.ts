import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { ImageFetcher } from '../engine/images.js';
import type { SessionEngine } from '../engine/SessionEngine.js';
import { Access } from '../server/access.js';
import { createSsrfGuard } from '../net/ssrf/guard.js';
import { createMcpServer } from './createMcpServer.js';
import { DEFAULT_MAX_IMAGE_BYTES, DEFAULT_PREVIEW_PIXELS } from './options.js';

export interface McpStdioOptions {
  /** Lent, not given: closing the server leaves it open. */
  engine: SessionEngine;
  /** Default `process.stdin` / `process.stdout`. Nothing else may write to that stdout. */
  stdin?: Readable;
  stdout?: Writable;
  /**
   * Downloads image URLs. Default the SSRF guard: the URLs come from a model, which a web page
   * or a document it read can talk into naming an intranet address.
   */
  fetchImage?: ImageFetcher;
  /** Default 25 MiB. */
  maxImageBytes?: number;
  /** Default 512. */
  previewPixels?: number;
  /** Applied to everything sent (the CLI passes its fal-key scrubber). Default none. */
  redact?: <T>(value: T) => T;
  /** Where errors on our side are written. Default stderr, which MCP leaves to servers for logs. */
  log?: (line: string) => void;
}

export interface McpStdioServer {
  /** Resolves when the client has gone (stdin ended) or close() was called. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves MCP over stdio for the one local user (owner null, who sees every session, as the
 * CLI does), until the client closes stdin. Turns still running then stay in the store with
 * their request ids, for the next `kontext` command to collect.
 *
 * @example
 * const { engine } = openEngine({ dataDir: '.kontext' });
 * const server = await serveMcpStdio({ engine });
 * await server.closed;
 * await engine.close();
 */
export async function serveMcpStdio(options: McpStdioOptions): Promise<McpStdioServer> {
  const { engine } = options;
  const stdin = options.stdin ?? process.stdin;
  const log = options.log ?? ((line: string) => process.stderr.write(`kontext mcp: ${line}\n`));
  const maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const server = createMcpServer({
    engine,
    owner: null,
    access: new Access(engine, false),
    fetchImage: options.fetchImage ?? createSsrfGuard({ maxBytes: maxImageBytes }),
    maxImageBytes,
    previewPixels: options.previewPixels ?? DEFAULT_PREVIEW_PIXELS,
    redact: options.redact ?? ((value) => value),
    log,
  });
  const transport = new StdioServerTransport(stdin, options.stdout ?? process.stdout);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  transport.onclose = () => resolveClosed();
  // The SDK's transport does not watch for the end of its input; a client that exits closes our stdin.
  const onEnd = () => void server.close().catch(() => resolveClosed());
  stdin.once('end', onEnd);
  stdin.once('close', onEnd);
  await server.connect(transport);
  return {
    closed,
    close: async () => {
      stdin.off('end', onEnd);
      stdin.off('close', onEnd);
      await server.close();
      await closed;
    },
  };
}

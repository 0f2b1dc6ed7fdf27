import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { ExpiredJobError } from '../../src/errors/ExpiredJobError.js';
import { ModeratedError } from '../../src/errors/ModeratedError.js';
import { ProviderError } from '../../src/errors/ProviderError.js';
import type { EndpointRegistry } from '../../src/kontext/endpoints.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import type { Provider } from '../../src/providers/Provider.js';
import { serve, type RunningServer } from '../../src/server/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import type { Clock } from '../../src/util/clock.js';
import { testImage } from '../support/images.js';
import { makeEngine, makeServer, noLookup } from './support.js';

export const CHROMIUM = '/usr/bin/chromium';
/** KONTEXT_SKIP_BROWSER=1 skips the browser tests (a machine without Chromium); otherwise a missing Chromium fails them. */
export const SKIP_BROWSER = process.env.KONTEXT_SKIP_BROWSER === '1';

/** The system Chromium, headless, with everything that phones home switched off; only 127.0.0.1 resolves. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-domain-reliability',
  '--no-proxy-server',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/**
 * One Chromium per test file. Every request the pages make must go to one of the servers the
 * file started (`allow(port)`); anything else is refused and remembered in `foreign`.
 */
export class BrowserHarness {
  readonly foreign: string[] = [];
  private readonly ports = new Set<string>();
  private constructor(
    readonly context: BrowserContext,
    private readonly profile: string,
  ) {}

  static async launch(): Promise<BrowserHarness> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is not installed: run \`apt-get install -y chromium\` (or set KONTEXT_SKIP_BROWSER=1 to skip the browser tests)`);
    }
    const profile = await mkdtemp(join(tmpdir(), 'kontext-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    const harness = new BrowserHarness(context, profile);
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' && harness.ports.has(url.port)) return route.continue();
      harness.foreign.push(url.href);
      return route.abort();
    });
    return harness;
  }

  allow(port: number): void {
    this.ports.add(String(port));
  }

  /** A fresh tab; its uncaught errors are collected in `errors`. */
  async newPage(viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
    const page = await this.context.newPage();
    if (viewport) await page.setViewportSize(viewport);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    return { page, errors };
  }

  async close(): Promise<void> {
    await this.context.close();
    await rm(this.profile, { recursive: true, force: true });
  }
}

/**
 * The local simulator's artificial delay, held until the test says go: a job logs its first
 * lines, then waits in `sleep` (which honours cancelling) until `release()`. Open by default.
 */
export class HeldClock implements Clock {
  private open = true;
  private readonly sleepers = new Set<() => void>();

  now(): number {
    return Date.now();
  }

  sleep(_ms: number, signal?: AbortSignal): Promise<void> {
    if (this.open) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        this.sleepers.delete(wake);
        resolve();
      };
      const onAbort = () => {
        this.sleepers.delete(wake);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.add(wake);
    });
  }

  /** Jobs from now on wait until `release()`. */
  hold(): void {
    this.open = false;
  }

  /** Lets every waiting job finish, and later ones run straight through. */
  release(): void {
    this.open = true;
    for (const wake of [...this.sleepers]) wake();
  }

  /** Lets the jobs waiting now finish; later ones wait again. */
  step(): void {
    this.release();
    this.hold();
  }

  get waiting(): number {
    return this.sleepers.size;
  }
}

/**
 * The local provider with the provider outcomes the page must show, chosen by a marker in the
 * prompt: `[moderated]` (the provider's moderation refused the output), `[expired]` (the
 * provider lost the job) and `[flaky]` (a provider fault the first time, fine on a retry).
 */
export function scriptedProvider(inner: Provider): Provider {
  const prompts = new Map<string, string>();
  const failedOnce = new Set<string>();
  return {
    name: inner.name,
    prepareImage: (image, options) => inner.prepareImage(image, options),
    submit: async (endpointId, input, options) => {
      const job = await inner.submit(endpointId, input, options);
      prompts.set(job.requestId, String(input.prompt ?? ''));
      return job;
    },
    wait: async (endpointId, job, options) => {
      const prompt = prompts.get(job.requestId) ?? '';
      if (prompt.includes('[moderated]')) throw new ModeratedError('output', 'Content Moderated', { requestId: job.requestId });
      if (prompt.includes('[expired]')) throw new ExpiredJobError(job.requestId, 'Task not found');
      if (prompt.includes('[flaky]') && !failedOnce.has(prompt)) {
        failedOnce.add(prompt);
        throw new ProviderError('the GPU worker restarted mid-job', { status: 500, requestId: job.requestId });
      }
      return inner.wait(endpointId, job, options);
    },
    cancel: (endpointId, job, options) => inner.cancel(endpointId, job, options),
    download: (url, options) => inner.download(url, options),
    close: () => inner.close?.() ?? Promise.resolve(),
  };
}

export interface PageServer {
  engine: SessionEngine;
  running: RunningServer;
  clock: HeldClock;
  close: () => Promise<void>;
}

/** The HTTP server in-process on 127.0.0.1 with the (scripted) local provider, allowed in `harness`. */
export async function startPageServer(harness: BrowserHarness, options: { endpoints?: EndpointRegistry; concurrency?: number } = {}): Promise<PageServer> {
  const clock = new HeldClock();
  const local = createLocalProvider({ clock, delayMs: 1, concurrency: options.concurrency ?? 1 });
  const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [scriptedProvider(local)], endpoints: options.endpoints });
  const running = await serve({ engine, port: 0, host: '127.0.0.1', env: {}, resume: false, log: () => undefined, ssrf: { lookup: noLookup } });
  harness.allow(running.port);
  return {
    engine,
    running,
    clock,
    close: async () => {
      clock.release();
      await running.close();
    },
  };
}

/** Opens the page, uploads the test picture and waits for the session's first turn. Returns the session id. */
export async function startSession(page: Page, server: PageServer, name = 'kitchen.png'): Promise<string> {
  await page.goto(`${server.running.url}/`);
  await page.setInputFiles('#upload-file', { name, mimeType: 'image/png', buffer: await testImage(320, 240) });
  await page.click('#start-session');
  await page.locator('#chat .turn[data-status="succeeded"]').first().waitFor();
  return new URL(page.url()).hash.slice(1);
}

/** Types a prompt (and a seed) into the composer and presses Enter, as a person sends. */
export async function send(page: Page, prompt: string, seed?: number): Promise<void> {
  if (seed !== undefined) await page.fill('#seed', String(seed));
  await page.fill('#prompt', prompt);
  await page.press('#prompt', 'Enter');
}

export const headTurn = (page: Page) => page.locator('body').getAttribute('data-head-turn');
export const succeededTurns = (page: Page) => page.locator('#chat .turn[data-status="succeeded"]').count();
export const chatTurnIds = (page: Page) => page.locator('#chat .turn').evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.turnId!));

/** Every image in the document has decoded (complete and a natural width), and there are some. */
export async function allImagesDecoded(page: Page, selector = 'img'): Promise<boolean> {
  return page.evaluate((sel) => {
    const images = Array.from(document.querySelectorAll<HTMLImageElement>(sel)).filter((img) => img.getAttribute('src'));
    return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
  }, selector);
}

/** SHA-256 of the bytes an <img> shows, fetched again by the page itself from its src. */
export async function displayedImageHash(page: Page, selector: string): Promise<string> {
  const bytes = await page.locator(selector).evaluate(async (img: HTMLImageElement) => {
    const res = await fetch(img.src);
    return Array.from(new Uint8Array(await res.arrayBuffer()));
  });
  return createHash('sha256').update(Buffer.from(bytes)).digest('hex');
}

/**
 * Whether this build's server routes `path`, asked the way the page does: OPTIONS is answered
 * by no route, so it is 405 where the path is routed and 404 where it is not. For `it.skipIf`
 * on features that other work adds to the server (fork, pin, diff).
 */
export async function serverHasRoute(path: string): Promise<boolean> {
  const { app } = makeServer(makeEngine());
  const res = await app.request(path, { method: 'OPTIONS' });
  return res.status !== 404;
}

/** Whether the edit body (POST /sessions/:id/turns) takes `field`, by the OpenAPI document the page also reads. */
export async function editBodyHas(field: string): Promise<boolean> {
  const { app } = makeServer(makeEngine());
  const doc = (await (await app.request('/openapi.json')).json()) as { components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> } };
  return Boolean(doc.components?.schemas?.Edit?.properties?.[field]);
}

export interface PageTest {
  page: Page;
  server: PageServer;
}

/**
 * One Chromium for the test file (launched before its tests, closed after, with the check that
 * no request left for anywhere but our servers), and `withPage`: a fresh server and tab per
 * test, closed after it, and the test fails on any uncaught error in the page.
 */
export function browserPerFile(): (body: (t: PageTest) => Promise<void>, options?: { viewport?: { width: number; height: number }; endpoints?: EndpointRegistry }) => Promise<void> {
  let harness: BrowserHarness | undefined;
  beforeAll(async () => {
    harness = await BrowserHarness.launch();
  });
  afterAll(async () => {
    await harness?.close();
    expect(harness?.foreign ?? []).toEqual([]);
  });
  return async (body, options = {}) => {
    const server = await startPageServer(harness!, { endpoints: options.endpoints });
    const { page, errors } = await harness!.newPage(options.viewport);
    try {
      await body({ page, server });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await server.close();
    }
  };
}

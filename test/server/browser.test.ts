import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { serve } from '../../src/server/index.js';
import { workspace, type SessionDoc, type TurnDoc } from '../cli/support/cli.js';
import { testImage } from '../support/images.js';
import { makeEngine, noLookup } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = process.env.KONTEXT_SKIP_BROWSER === '1';

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

async function succeededTurns(page: Page): Promise<number> {
  return page.locator('#chat .turn[data-status="succeeded"]').count();
}

async function send(page: Page, prompt: string, seed: number): Promise<void> {
  await page.fill('#prompt', prompt);
  await page.fill('#seed', String(seed));
  await page.click('#send');
}

const headTurn = (page: Page) => page.locator('body').getAttribute('data-head-turn');

describe.skipIf(SKIP)('the chat editor page, in Chromium', () => {
  it('uploads an image, edits twice, branches from the first edit, names the branch and undoes', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is not installed: run \`apt-get install -y chromium\` (or set KONTEXT_SKIP_BROWSER=1 to skip this test)`);
    }
    const engine = makeEngine();
    const running = await serve({ engine, port: 0, host: '127.0.0.1', env: {}, resume: false, log: () => undefined, ssrf: { lookup: noLookup } });
    const profile = await mkdtemp(join(tmpdir(), 'kontext-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    const foreign: string[] = [];
    try {
      // Anything the page asks for beyond our server is refused and remembered.
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.hostname === '127.0.0.1' && url.port === String(running.port)) return route.continue();
        foreign.push(url.href);
        return route.abort();
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));

      await page.goto(`${running.url}/`);
      await page.setInputFiles('#upload-file', { name: 'kitchen.png', mimeType: 'image/png', buffer: await testImage(320, 240) });
      await page.click('#start-session');
      await expect.poll(() => succeededTurns(page)).toBe(1);
      const sessionId = new URL(page.url()).hash.slice(1);
      expect((await engine.getSession(sessionId)).title).toBe('kitchen.png');

      await send(page, 'make it red', 7);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const firstEdit = (await page.locator('#chat .turn').nth(1).getAttribute('data-turn-id'))!;
      await send(page, 'make it night', 8);
      await expect.poll(() => succeededTurns(page)).toBe(3);
      const secondEdit = (await page.locator('#chat .turn').nth(2).getAttribute('data-turn-id'))!;

      // Continue from the first edit: click it in the tree, then edit.
      await page.click(`#tree li[data-tree-turn="${firstEdit}"] > .node`);
      await expect.poll(() => headTurn(page)).toBe(firstEdit);
      await expect.poll(() => page.locator('#chat .turn').count()).toBe(2);
      await send(page, 'make it winter', 9);
      await expect.poll(async () => (await succeededTurns(page)) === 3 && (await headTurn(page)) !== firstEdit).toBe(true);
      const winter = (await headTurn(page))!;
      expect(winter).not.toBe(secondEdit);

      await page.fill('#branch-name', 'winter');
      await page.click('#create-branch');
      await page.locator('#branches li[data-branch="winter"][data-current="true"]').waitFor();

      // The tree shows two branches: the first edit forks, and there are two tips, both named.
      expect(await page.locator(`#tree li[data-tree-turn="${firstEdit}"] > .forks > ul.chain`).count()).toBe(2);
      expect((await page.locator('#tree li[data-leaf="true"]').evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.treeTurn))).sort()).toEqual([secondEdit, winter].sort());
      expect(await page.locator('#branches li[data-branch]').evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.branch))).toEqual(['main', 'winter']);
      expect((await engine.children(firstEdit)).map((t) => t.id).sort()).toEqual([secondEdit, winter].sort());

      // Every image on the page (chat and tree thumbnails) has loaded.
      await expect
        .poll(() => page.evaluate(() => Array.from(document.images).map((img) => img.complete && img.naturalWidth > 0)))
        .toEqual(expect.arrayContaining([true]));
      const loaded = await page.evaluate(() => Array.from(document.images).map((img) => ({ hash: img.dataset.hash, ok: img.complete && img.naturalWidth > 0 })));
      expect(loaded.length).toBeGreaterThanOrEqual(6);
      expect(loaded.filter((i) => !i.ok)).toEqual([]);
      await expect.poll(() => page.locator('#session-cost').textContent()).toBe('$0.0000 total');
      // The page is a fixed-height app (the chat scrolls inside it): the viewport is the whole picture.
      await page.screenshot({ path: '/tmp/chat-editor.png' });

      // Undo moves HEAD from the winter turn back to the first edit, on the page and in the store.
      await page.click('#undo');
      await expect.poll(() => headTurn(page)).toBe(firstEdit);
      expect((await engine.getSession(sessionId)).headTurnId).toBe(firstEdit);
      await expect.poll(() => page.locator('#tree li[data-head="true"]').getAttribute('data-tree-turn')).toBe(firstEdit);

      expect(pageErrors).toEqual([]);
      expect(await page.locator('#status').isHidden()).toBe(true);
      expect(foreign).toEqual([]);
    } finally {
      await context.close();
      await running.close();
      await rm(profile, { recursive: true, force: true });
    }
  });

  it('updates live when `kontext edit` runs in a terminal on the same database', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is not installed: run \`apt-get install -y chromium\` (or set KONTEXT_SKIP_BROWSER=1 to skip this test)`);
    }
    const ws = await workspace();
    const { session } = await ws.json<{ session: SessionDoc }>(['new', ws.image, '--title', 'kitchen']);
    // The server opens the same file itself (openEngine): live updates are on by default.
    const running = await serve({ open: { dbFile: ws.db, dataDir: join(ws.dir, 'data'), provider: 'local' }, port: 0, host: '127.0.0.1', env: {}, resume: false, log: () => undefined, ssrf: { lookup: noLookup } });
    const profile = await mkdtemp(join(tmpdir(), 'kontext-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    try {
      const streams: string[] = [];
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.pathname.endsWith('/events')) streams.push(url.pathname);
        return url.port === String(running.port) ? route.continue() : route.abort();
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${running.url}/#${session.id}`);
      await expect.poll(() => succeededTurns(page)).toBe(1);
      // The page opens its event stream after loading the session; the edit comes once it has.
      await expect.poll(() => streams).toContain(`/sessions/${session.id}/events`);

      const edited = await ws.json<{ turn: TurnDoc }>(['--session', session.id, 'edit', 'make it red', '--seed', '7']);
      await expect.poll(() => succeededTurns(page), { timeout: 15_000 }).toBe(2);
      await expect.poll(() => headTurn(page)).toBe(edited.turn.id);
      expect(await page.locator('#chat .turn').nth(1).getAttribute('data-turn-id')).toBe(edited.turn.id);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
      await running.close();
      await rm(profile, { recursive: true, force: true });
      await ws.remove();
    }
  });
});

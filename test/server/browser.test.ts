import { describe, expect, it } from 'vitest';
import { testImage } from '../support/images.js';
import { browserPerFile, headTurn, SKIP_BROWSER, succeededTurns } from './browserHarness.js';
import type { Page } from 'playwright-core';

async function send(page: Page, prompt: string, seed: number): Promise<void> {
  await page.fill('#prompt', prompt);
  await page.fill('#seed', String(seed));
  await page.click('#send');
}

describe.skipIf(SKIP_BROWSER)('the chat editor page, in Chromium', () => {
  const withPage = browserPerFile();

  it('uploads an image, edits twice, branches from the first edit, names the branch and undoes', () =>
    withPage(async ({ page, server }) => {
      await page.goto(`${server.running.url}/`);
      await page.setInputFiles('#upload-file', { name: 'kitchen.png', mimeType: 'image/png', buffer: await testImage(320, 240) });
      await page.click('#start-session');
      await expect.poll(() => succeededTurns(page)).toBe(1);
      const sessionId = new URL(page.url()).hash.slice(1);
      expect((await server.engine.getSession(sessionId)).title).toBe('kitchen.png');

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
      expect((await server.engine.children(firstEdit)).map((t) => t.id).sort()).toEqual([secondEdit, winter].sort());

      // Every image on the page (chat and tree thumbnails) has loaded.
      await expect
        .poll(() => page.evaluate(() => Array.from(document.images).map((img) => img.complete && img.naturalWidth > 0)))
        .toEqual(expect.arrayContaining([true]));
      const loaded = await page.evaluate(() => Array.from(document.images).map((img) => ({ hash: img.dataset.hash, ok: img.complete && img.naturalWidth > 0 })));
      expect(loaded.length).toBeGreaterThanOrEqual(6);
      expect(loaded.filter((i) => !i.ok)).toEqual([]);
      await expect.poll(() => page.locator('#session-cost').textContent()).toBe('$0.00 total');
      // The page is a fixed-height app (the chat scrolls inside it): the viewport is the whole picture.
      await page.screenshot({ path: '/tmp/chat-editor.png' });

      // Undo moves HEAD from the winter turn back to the first edit, on the page and in the store.
      await page.click('#undo');
      await expect.poll(() => headTurn(page)).toBe(firstEdit);
      expect((await server.engine.getSession(sessionId)).headTurnId).toBe(firstEdit);
      await expect.poll(() => page.locator('#tree li[data-head="true"]').getAttribute('data-tree-turn')).toBe(firstEdit);

      expect(await page.locator('#status').isHidden()).toBe(true);
    }));
});

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { testImage } from '../support/images.js';
import { allImagesDecoded, browserPerFile, chatTurnIds, editBodyHas, headTurn, send, SKIP_BROWSER, startSession, succeededTurns } from './browserHarness.js';

/** Reference images in the edit body come from other work; until the server takes them, their test is skipped. */
const hasReferences = await editBodyHas('references');

const PHONE = { width: 390, height: 844 };
const noHorizontalScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth);

/** The page on a phone-sized screen, and the composer's reference images. */
describe.skipIf(SKIP_BROWSER)('the chat editor page: phone layout and references, in Chromium', () => {
  const withPage = browserPerFile();

  it('is usable at 390×844: no horizontal scrolling, the tree folds into a drawer', () =>
    withPage(async ({ page, server }) => {
      await page.goto(`${server.running.url}/`);
      expect(await noHorizontalScroll(page)).toBe(true);
      await startSession(page, server);
      const long = `make it red and write "${'supercalifragilistic'.repeat(4)}" on a sign`;
      await page.selectOption('#num-images', '2');
      await send(page, long, 1);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      await page.selectOption('#num-images', '1');
      await send(page, 'make it night', 2);
      await expect.poll(() => succeededTurns(page)).toBe(3);
      const [root, red] = (await chatTurnIds(page)) as [string, string, string];
      await expect.poll(() => allImagesDecoded(page, '#chat img')).toBe(true);

      // The tree is off screen until asked for.
      expect(await page.locator('#tree-panel').isVisible()).toBe(false);
      expect(await page.locator('#tree-toggle').isVisible()).toBe(true);
      expect(await noHorizontalScroll(page)).toBe(true);
      const chatBox = await page.locator('#chat').boundingBox();
      expect(chatBox!.x + chatBox!.width).toBeLessThanOrEqual(PHONE.width);
      await page.screenshot({ path: '/tmp/chat-editor-phone.png' });

      await page.click('#tree-toggle');
      await expect.poll(() => page.locator('#tree-panel').isVisible()).toBe(true);
      expect(await page.locator('#tree-toggle').getAttribute('aria-expanded')).toBe('true');
      // It slides in (a short transition), then lies wholly on screen.
      await expect.poll(async () => {
        const drawer = (await page.locator('#tree-panel').boundingBox())!;
        return drawer.x >= 0 && drawer.x + drawer.width <= PHONE.width + 0.5;
      }).toBe(true);
      expect(await noHorizontalScroll(page)).toBe(true);
      await expect.poll(() => allImagesDecoded(page, '#tree img')).toBe(true);
      await page.screenshot({ path: '/tmp/chat-editor-phone-drawer.png' });

      // Choosing a turn in the drawer checks it out and folds the drawer away.
      await page.click(`#tree li[data-tree-turn="${red}"] > .node`);
      await expect.poll(() => headTurn(page)).toBe(red);
      await expect.poll(() => page.locator('#tree-panel').isVisible()).toBe(false);

      // The backdrop closes it too.
      await page.click('#tree-toggle');
      await expect.poll(() => page.locator('#tree-panel').isVisible()).toBe(true);
      await page.mouse.click(10, PHONE.height / 2);
      await expect.poll(() => page.locator('#tree-panel').isVisible()).toBe(false);

      // Candidates and the compare dialog fit as well.
      await page.click(`#chat .turn[data-turn-id="${root}"] [data-action="compare"]`);
      await page.click(`#chat .turn[data-turn-id="${red}"] [data-action="compare"]`);
      await page.locator('#compare-dialog').waitFor();
      await expect.poll(() => allImagesDecoded(page, '#compare-dialog img')).toBe(true);
      expect(await noHorizontalScroll(page)).toBe(true);
      const dialog = await page.locator('#compare-dialog').boundingBox();
      expect(dialog!.x + dialog!.width).toBeLessThanOrEqual(PHONE.width);
      await page.click('#compare-close');
      expect(await page.locator('#status').isHidden()).toBe(true);
    }, { viewport: PHONE }));

  it('offers the attach control exactly when the server takes reference images', () =>
    withPage(async ({ page, server }) => {
      await startSession(page, server);
      await expect.poll(() => page.locator('body').getAttribute('data-features')).not.toBeNull();
      expect(await page.locator('#attach').isVisible()).toBe(hasReferences);
    }));

  it.skipIf(!hasReferences)('sends attached reference images as data: URLs and shows them on the message (skipped while the edit body has no references)', () =>
    withPage(async ({ page, server }) => {
      const sessionId = await startSession(page, server);
      const bodies: Record<string, unknown>[] = [];
      page.on('request', (request) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === `/sessions/${sessionId}/turns`) bodies.push(request.postDataJSON() as Record<string, unknown>);
      });
      await page.click('#attach').catch(() => undefined);
      await page.setInputFiles('#reference-files', [
        { name: 'hat.png', mimeType: 'image/png', buffer: await testImage(64, 64) },
        { name: 'scarf.png', mimeType: 'image/png', buffer: await testImage(48, 96) },
      ]);
      await expect.poll(() => page.locator('#attachments img').count()).toBe(2);
      await page.locator('#attachments li').nth(1).locator('button').click();
      await expect.poll(() => page.locator('#attachments img').count()).toBe(1);
      await send(page, 'put the hat on the table', 1);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      expect(bodies).toHaveLength(1);
      const references = bodies[0]!.references as string[];
      expect(references).toHaveLength(1);
      expect(references[0]).toMatch(/^data:image\/png;base64,/);
      expect(await page.locator('#attachments').isHidden()).toBe(true);

      const turnId = (await headTurn(page))!;
      const thumbs = page.locator(`#chat .turn[data-turn-id="${turnId}"] .references img`);
      await expect.poll(() => thumbs.count()).toBe(1);
      await expect.poll(() => allImagesDecoded(page, `#chat .turn[data-turn-id="${turnId}"] .references img`)).toBe(true);
    }));
});

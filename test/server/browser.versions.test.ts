import { describe, expect, it } from 'vitest';
import { allImagesDecoded, browserPerFile, chatTurnIds, displayedImageHash, headTurn, send, serverHasRoute, SKIP_BROWSER, startSession, succeededTurns } from './browserHarness.js';

/** The diff view is built by the quality work (GET /sessions/:id/diff.html, /diff/heatmap.png); until it lands its test is skipped. */
const hasDiff = await serverHasRoute('/sessions/x/diff.html');

/** Versions of a message in the chat editor: switching between siblings, picking a candidate, comparing two turns. */
describe.skipIf(SKIP_BROWSER)('the chat editor page: versions of a message, in Chromium', () => {
  const withPage = browserPerFile();

  it('‹ 2/3 › switches between the versions of a message and moves HEAD to that version’s line, showing its image', () =>
    withPage(async ({ page, server }) => {
      const sessionId = await startSession(page, server);
      await send(page, 'make it red', 1);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const [root, red] = (await chatTurnIds(page)) as [string, string];
      await send(page, 'make it night', 2);
      await expect.poll(() => succeededTurns(page)).toBe(3);
      const redNight = (await headTurn(page))!;

      // Two more versions of the first edit: continue from the root in the tree, then edit.
      for (const [prompt, seed] of [['make it blue', 3], ['make it green', 4]] as const) {
        await page.click(`#tree li[data-tree-turn="${root}"] > .node`);
        await expect.poll(() => headTurn(page)).toBe(root);
        await send(page, prompt, seed);
        await expect.poll(async () => (await succeededTurns(page)) === 2 && (await headTurn(page)) !== root).toBe(true);
      }
      const green = (await headTurn(page))!;
      const blue = (await server.engine.children(root)).map((t) => t.id).find((id) => id !== red && id !== green)!;

      const switcher = page.locator(`#chat .turn[data-turn-id="${green}"] .siblings`);
      await expect.poll(() => switcher.locator('.sibling-count').textContent()).toBe('3/3');
      expect(await switcher.locator('.sibling-next').isDisabled()).toBe(true);

      // ‹ goes to blue (a leaf: HEAD lands on it) and shows blue's own image.
      await switcher.locator('.sibling-prev').click();
      await expect.poll(() => headTurn(page)).toBe(blue);
      expect((await server.engine.getSession(sessionId)).headTurnId).toBe(blue);
      await expect.poll(() => page.locator(`#chat .turn[data-turn-id="${blue}"] .sibling-count`).textContent()).toBe('2/3');
      const blueOutput = (await server.engine.getTurn(blue)).outputs[0]!;
      await expect.poll(() => allImagesDecoded(page, `#chat .turn[data-turn-id="${blue}"] img.candidate`)).toBe(true);
      expect(await page.locator(`#chat .turn[data-turn-id="${blue}"] img.candidate`).getAttribute('data-hash')).toBe(blueOutput.blobHash);
      expect(await displayedImageHash(page, `#chat .turn[data-turn-id="${blue}"] img.candidate`)).toBe(blueOutput.blobHash);

      // ‹ again goes to red's line: HEAD follows it down to its tip, and the chat shows the whole line.
      await page.locator(`#chat .turn[data-turn-id="${blue}"] .sibling-prev`).click();
      await expect.poll(() => headTurn(page)).toBe(redNight);
      expect(await chatTurnIds(page)).toEqual([root, red, redNight]);
      expect(await page.locator(`#chat .turn[data-turn-id="${red}"] .sibling-count`).textContent()).toBe('1/3');
      expect(await page.locator(`#chat .turn[data-turn-id="${red}"] .sibling-prev`).isDisabled()).toBe(true);
      const nightOutput = (await server.engine.getTurn(redNight)).outputs[0]!;
      await expect.poll(() => allImagesDecoded(page, '#chat img.candidate')).toBe(true);
      expect(await displayedImageHash(page, `#chat .turn[data-turn-id="${redNight}"] img.candidate`)).toBe(nightOutput.blobHash);
      // The message with only one version has no switch.
      expect(await page.locator(`#chat .turn[data-turn-id="${redNight}"] .siblings`).count()).toBe(0);

      await page.screenshot({ path: '/tmp/chat-editor-siblings.png' });
      expect(await page.locator('#status').isHidden()).toBe(true);
    }));

  it('picks one of num_images candidates from the message itself; the next edit continues from it', () =>
    withPage(async ({ page, server }) => {
      await startSession(page, server);
      await page.selectOption('#num-images', '3');
      await send(page, 'make it purple', 10);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const turnId = (await headTurn(page))!;
      const message = page.locator(`#chat .turn[data-turn-id="${turnId}"]`);
      await expect.poll(() => message.locator('.pick').count()).toBe(3);
      await expect.poll(() => allImagesDecoded(page, `#chat .turn[data-turn-id="${turnId}"] img`)).toBe(true);
      expect(await message.locator('.pick[aria-pressed="true"]').getAttribute('data-index')).toBe('0');

      await message.locator('.pick[data-index="2"]').click();
      await expect.poll(() => message.locator('.pick[aria-pressed="true"]').getAttribute('data-index')).toBe('2');
      const turn = await server.engine.getTurn(turnId);
      expect(turn.selectedOutput).toBe(2);
      expect(await message.locator('.pick[data-index="2"] .pick-label').textContent()).toBe('✓ chosen');

      // The next edit's input is the picked candidate.
      await page.selectOption('#num-images', '1');
      await send(page, 'make it night', 11);
      await expect.poll(() => succeededTurns(page)).toBe(3);
      const next = await server.engine.getTurn((await headTurn(page))!);
      expect(next.inputBlob).toBe(turn.outputs[2]!.blobHash);
    }));

  it('compares two turns with a slider and side by side', () =>
    withPage(async ({ page, server }) => {
      await startSession(page, server);
      await send(page, 'make it red', 5);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const [root, red] = (await chatTurnIds(page)) as [string, string];

      await page.click(`#chat .turn[data-turn-id="${root}"] [data-action="compare"]`);
      expect(await page.locator(`#chat .turn[data-turn-id="${red}"] [data-action="compare"]`).textContent()).toBe('Compare with A');
      await page.click(`#chat .turn[data-turn-id="${red}"] [data-action="compare"]`);
      const dialog = page.locator('#compare-dialog');
      await dialog.waitFor();
      const [rootTurn, redTurn] = [await server.engine.getTurn(root), await server.engine.getTurn(red)];
      expect(await dialog.locator('img.compare-a').getAttribute('data-hash')).toBe(rootTurn.outputs[0]!.blobHash);
      expect(await dialog.locator('img.compare-b').getAttribute('data-hash')).toBe(redTurn.outputs[0]!.blobHash);
      await expect.poll(() => allImagesDecoded(page, '#compare-dialog img.compare-a, #compare-dialog img.compare-b')).toBe(true);

      // The slider uncovers B from the right: at 80 only the right fifth shows B.
      await dialog.locator('input.slider').fill('80');
      expect(await dialog.locator('.slider-stage').evaluate((stage) => (stage as HTMLElement).style.getPropertyValue('--split'))).toBe('80%');
      const clip = await dialog.locator('.slider-top').evaluate((top) => getComputedStyle(top).clipPath);
      expect(clip).toContain('80%');
      await page.screenshot({ path: '/tmp/chat-editor-compare-slider.png' });

      await dialog.locator('#compare-mode').click();
      await dialog.locator('.side-by-side').waitFor();
      expect(await dialog.locator('.side-by-side figure').count()).toBe(2);
      expect(await dialog.locator('.side-by-side figcaption').allTextContents()).toEqual(['A: the starting image', 'B: make it red']);
      await expect.poll(() => allImagesDecoded(page, '#compare-dialog .side-by-side img')).toBe(true);

      // The diff is offered exactly when the server has the route.
      expect(await dialog.locator('.diff').count()).toBe(hasDiff ? 1 : 0);

      await page.keyboard.press('Escape');
      await expect.poll(() => dialog.isVisible()).toBe(false);
      expect(await page.locator('#chat [data-action="compare"][aria-pressed="true"]').count()).toBe(0);
    }));

  it.skipIf(!hasDiff)('shows the server’s diff heatmap and links its diff page (skipped while GET /sessions/:id/diff.html answers 404)', () =>
    withPage(async ({ page, server }) => {
      const sessionId = await startSession(page, server);
      await send(page, 'make it red', 5);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const [root, red] = await chatTurnIds(page);
      await page.click(`#chat .turn[data-turn-id="${root}"] [data-action="compare"]`);
      await page.click(`#chat .turn[data-turn-id="${red}"] [data-action="compare"]`);
      const diff = page.locator('#compare-dialog .diff');
      await diff.waitFor();
      expect(await diff.locator('a.diff-link').getAttribute('href')).toBe(`/sessions/${sessionId}/diff.html?a=${root}&b=${red}`);
      await expect.poll(() => allImagesDecoded(page, '#compare-dialog img.heatmap')).toBe(true);
      const res = await page.request.get(`${server.running.url}/sessions/${sessionId}/diff.html?a=${root}&b=${red}`);
      expect(res.status()).toBe(200);
    }));
});

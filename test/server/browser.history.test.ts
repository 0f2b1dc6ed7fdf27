import { describe, expect, it } from 'vitest';
import { allImagesDecoded, browserPerFile, chatTurnIds, headTurn, send, serverHasRoute, SKIP_BROWSER, startSession, succeededTurns, type PageServer } from './browserHarness.js';
import type { Page } from 'playwright-core';

/** Built in parallel by other work: the page offers them only where the server routes them. */
const hasFork = await serverHasRoute('/sessions/x/fork');
const hasPin = await serverHasRoute('/sessions/x/turns/HEAD/pin');

const branchNames = (page: Page) => page.locator('#branches li[data-branch]').evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.branch));

/** root → red → red night, and root → blue; HEAD on blue. Returns the ids. */
async function twoLines(page: Page, server: PageServer) {
  const sessionId = await startSession(page, server);
  await send(page, 'make it red', 1);
  await expect.poll(() => succeededTurns(page)).toBe(2);
  await send(page, 'make it night', 2);
  await expect.poll(() => succeededTurns(page)).toBe(3);
  const [root, red, redNight] = await chatTurnIds(page);
  await page.click(`#tree li[data-tree-turn="${root}"] > .node`);
  await expect.poll(() => headTurn(page)).toBe(root);
  await send(page, 'make it blue', 3);
  await expect.poll(async () => (await succeededTurns(page)) === 2 && (await headTurn(page)) !== root).toBe(true);
  const blue = (await headTurn(page))!;
  return { sessionId, root: root!, red: red!, redNight: redNight!, blue };
}

/** The tree's housekeeping from the page: branches renamed and deleted, subtrees deleted, forks, pins, undo/redo keys, live updates. */
describe.skipIf(SKIP_BROWSER)('the chat editor page: history, in Chromium', () => {
  const withPage = browserPerFile();

  it('renames a branch in place (Esc keeps the old name) and deletes one, keeping its turns', () =>
    withPage(async ({ page, server }) => {
      const { sessionId, blue } = await twoLines(page, server);
      await page.fill('#branch-name', 'blue');
      await page.click('#create-branch');
      await page.locator('#branches li[data-branch="blue"][data-current="true"]').waitFor();

      // Esc leaves the name as it was.
      await page.click('#branches li[data-branch="blue"] [data-action="rename-branch"]');
      await page.fill('#branches .rename-form input', 'ignored');
      await page.press('#branches .rename-form input', 'Escape');
      expect(await branchNames(page)).toEqual(['blue', 'main']);

      await page.click('#branches li[data-branch="blue"] [data-action="rename-branch"]');
      await page.fill('#branches .rename-form input', 'team/azure');
      await page.press('#branches .rename-form input', 'Enter');
      await page.locator('#branches li[data-branch="team/azure"]').waitFor();
      expect(await branchNames(page)).toEqual(['main', 'team/azure']);
      expect((await server.engine.listBranches(sessionId)).map((b) => b.name).sort()).toEqual(['main', 'team/azure']);
      expect(await page.locator(`#tree li[data-tree-turn="${blue}"] > .branch-tag`).allTextContents()).toEqual(['team/azure']);

      // Deleting asks first; "Keep" keeps it.
      await page.click('#branches li[data-branch="main"] [data-action="delete-branch"]');
      expect(await page.locator('#confirm-text').textContent()).toBe('Delete the branch “main”? Its turns stay in the tree.');
      await page.click('#confirm-cancel');
      expect(await branchNames(page)).toEqual(['main', 'team/azure']);
      await page.click('#branches li[data-branch="main"] [data-action="delete-branch"]');
      await page.click('#confirm-ok');
      await expect.poll(() => branchNames(page)).toEqual(['team/azure']);
      expect((await server.engine.listBranches(sessionId)).map((b) => b.name)).toEqual(['team/azure']);
      expect((await server.engine.tree(sessionId)).turns).toHaveLength(4);
      expect(await page.locator('#status').isHidden()).toBe(true);
    }));

  it('deletes a subtree after asking: branches in it move to its parent, or go with it when ticked', () =>
    withPage(async ({ page, server }) => {
      const { sessionId, root, red, redNight, blue } = await twoLines(page, server);
      await server.engine.createBranch(sessionId, 'night', redNight);
      await server.engine.createBranch(sessionId, 'sky', blue);

      // Back on red's line, delete red night alone: "night" moves to red.
      await page.click(`#tree li[data-tree-turn="${redNight}"] > .node`);
      await expect.poll(() => headTurn(page)).toBe(redNight);
      await page.click(`#chat .turn[data-turn-id="${redNight}"] [data-action="delete"]`);
      expect(await page.locator('#confirm-text').textContent()).toBe('Delete “make it night”? This cannot be undone.');
      expect(await page.locator('#confirm-option').isVisible()).toBe(true);
      await page.click('#confirm-ok');
      await expect.poll(() => headTurn(page)).toBe(red);
      expect(await page.locator(`#tree li[data-tree-turn="${redNight}"]`).count()).toBe(0);
      expect((await server.engine.listBranches(sessionId)).find((b) => b.name === 'night')?.turnId).toBe(red);

      // Delete blue with its branch ticked: "sky" goes too.
      await page.click(`#tree li[data-tree-turn="${blue}"] > .node`);
      await expect.poll(() => headTurn(page)).toBe(blue);
      await page.click(`#chat .turn[data-turn-id="${blue}"] [data-action="delete"]`);
      expect(await page.locator('#confirm-option-text').textContent()).toContain('sky');
      await page.check('#confirm-check');
      await page.click('#confirm-ok');
      await expect.poll(() => headTurn(page)).toBe(root);
      expect((await server.engine.listBranches(sessionId)).map((b) => b.name).sort()).toEqual(['main', 'night']);
      expect((await server.engine.tree(sessionId)).turns.map((t) => t.id).sort()).toEqual([root, red].sort());
      // The first image has no delete: a session keeps its start.
      expect(await page.locator(`#chat .turn[data-turn-id="${root}"] [data-action="delete"]`).count()).toBe(0);
      expect(await page.locator('#status').isHidden()).toBe(true);
    }));

  it('Ctrl+Z undoes and Ctrl+Shift+Z redoes outside the prompt box; inside it they edit the text', () =>
    withPage(async ({ page, server }) => {
      const sessionId = await startSession(page, server);
      await send(page, 'make it red', 1);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const [root, red] = await chatTurnIds(page);
      const undoCalls: string[] = [];
      page.on('request', (request) => {
        if (/\/(undo|redo)$/.test(new URL(request.url()).pathname)) undoCalls.push(new URL(request.url()).pathname.split('/').pop()!);
      });

      // In the prompt box Ctrl+Z is the text's own undo: the typing goes, HEAD stays.
      await page.click('#prompt');
      await page.keyboard.type('snow');
      await page.keyboard.press('Control+Z');
      expect(await page.inputValue('#prompt')).toBe('');

      await page.click('#chat');
      await page.keyboard.press('Control+Z');
      await expect.poll(() => headTurn(page)).toBe(root);
      expect((await server.engine.getSession(sessionId)).headTurnId).toBe(root);
      await page.keyboard.press('Control+Shift+Z');
      await expect.poll(() => headTurn(page)).toBe(red);
      expect((await server.engine.getSession(sessionId)).headTurnId).toBe(red);
      // One undo and one redo were asked for: none from the keys pressed in the prompt box.
      expect(undoCalls).toEqual(['undo', 'redo']);
    }));

  it('shows, live, a turn that another client runs in the session', () =>
    withPage(async ({ page, server }) => {
      const sessionId = await startSession(page, server);
      // Not through the page: straight into the engine the server serves, as the CLI or MCP would.
      const turn = await server.engine.edit(sessionId, 'make it gold', { seed: 4 });
      await expect.poll(() => headTurn(page)).toBe(turn.id);
      const message = page.locator(`#chat .turn[data-turn-id="${turn.id}"]`);
      await expect.poll(() => message.getAttribute('data-status')).toBe('succeeded');
      expect(await message.locator('.prompt').textContent()).toBe('make it gold');
      await expect.poll(() => allImagesDecoded(page, `#chat .turn[data-turn-id="${turn.id}"] img.candidate`)).toBe(true);
      expect(await message.locator('img.candidate').getAttribute('data-hash')).toBe(turn.outputs[0]!.blobHash);
    }));

  it.skipIf(!hasFork)('forks the path to a turn into a new session and opens it (skipped while POST /sessions/:id/fork answers 404)', () =>
    withPage(async ({ page, server }) => {
      const { sessionId, root, red } = await twoLines(page, server);
      await page.click(`#tree li[data-tree-turn="${red}"] > .node`);
      await expect.poll(() => headTurn(page)).toBe(red);
      await page.click(`#chat .turn[data-turn-id="${red}"] [data-action="fork"]`);
      await page.fill('#fork-title', 'red only');
      await page.click('#fork-ok');
      await expect.poll(() => new URL(page.url()).hash.slice(1)).not.toBe(sessionId);
      const forkId = new URL(page.url()).hash.slice(1);
      await expect.poll(() => page.locator('#session-title').textContent()).toBe('red only');
      await expect.poll(() => page.locator('#chat .turn').count()).toBe(2);
      expect(await page.locator('#chat .turn .prompt').allTextContents()).toEqual(['Start from this image', 'make it red']);
      const forked = await server.engine.tree(forkId);
      expect(forked.turns).toHaveLength(2);
      expect(forked.turns.map((t) => t.id)).not.toContain(root);
      await expect.poll(() => allImagesDecoded(page, '#chat img.candidate')).toBe(true);
    }));

  it.skipIf(!hasPin)('pins and unpins a turn; pinned turns are listed and lead back to it (skipped while PUT …/turns/:turn/pin answers 404)', () =>
    withPage(async ({ page, server }) => {
      const { red, blue } = await twoLines(page, server);
      await page.click(`#chat .turn[data-turn-id="${blue}"] [data-action="pin"]`);
      await expect.poll(() => page.locator(`#chat .turn[data-turn-id="${blue}"]`).getAttribute('data-pinned')).toBe('true');
      expect((await server.engine.getTurn(blue)) as unknown as { pinned?: boolean }).toMatchObject({ pinned: true });
      expect(await page.locator('#pinned li[data-pinned-turn]').count()).toBe(1);
      expect(await page.locator(`#tree li[data-tree-turn="${blue}"]`).getAttribute('data-pinned')).toBe('true');

      await page.click(`#tree li[data-tree-turn="${red}"] > .node`);
      await expect.poll(() => headTurn(page)).not.toBe(blue);
      await page.click(`#pinned li[data-pinned-turn="${blue}"] button`);
      await expect.poll(() => headTurn(page)).toBe(blue);

      await page.click(`#chat .turn[data-turn-id="${blue}"] [data-action="pin"]`);
      await expect.poll(() => page.locator('#pinned-section').isHidden()).toBe(true);
      expect(await page.locator(`#chat .turn[data-turn-id="${blue}"]`).getAttribute('data-pinned')).toBeNull();
    }));
});

import { describe, expect, it } from 'vitest';
import { EndpointRegistry, LOCAL_KONTEXT_SIM } from '../../src/kontext/endpoints.js';
import { allImagesDecoded, browserPerFile, chatTurnIds, headTurn, send, SKIP_BROWSER, startSession, succeededTurns } from './browserHarness.js';

const message = (id: string) => `#chat .turn[data-turn-id="${id}"]`;

/** What a turn is doing, shown plainly: queued with its place, running with its log, and every way it can end. */
describe.skipIf(SKIP_BROWSER)('the chat editor page: turn states, in Chromium', () => {
  const withPage = browserPerFile();

  it('shows a turn queued with its position, then running with its log; Esc cancels it and Retry runs it again', () =>
    withPage(async ({ page, server }) => {
      const sessionId = await startSession(page, server);
      const [root] = (await chatTurnIds(page)) as [string];
      // Someone else's job holds the simulator's only slot.
      const other = await server.engine.startSession({ prompt: 'a field of poppies' });
      server.clock.hold();
      const blocker = await server.engine.beginEdit(other.id, 'make it night');
      const blocked = server.engine.finish(blocker);
      await expect.poll(() => server.clock.waiting).toBe(1);

      await send(page, 'make it winter', 6);
      await expect.poll(() => headTurn(page)).not.toBe(root);
      const turnId = (await headTurn(page))!;
      const turn = page.locator(message(turnId));
      await expect.poll(() => turn.getAttribute('data-state')).toBe('queued');
      await expect.poll(() => turn.locator('.progress').textContent()).toContain('Queued — position 1 in the provider’s queue');
      // A page opened now learns the position too: it replays the events the server holds.
      await page.reload();
      await expect.poll(() => turn.locator('.progress').textContent()).toContain('Queued — position 1 in the provider’s queue');

      // The other job ends; ours runs and logs, then waits in the held delay.
      server.clock.step();
      await blocked;
      await expect.poll(() => server.clock.waiting).toBe(1);
      await expect.poll(() => turn.getAttribute('data-state')).toBe('running');
      expect(await turn.locator('.progress').textContent()).toContain('Running…');
      await expect.poll(() => turn.locator('.logs pre').textContent()).toContain('applying: winter');
      expect(await turn.locator('.logs').getAttribute('open')).not.toBeNull();
      await page.reload();
      await expect.poll(() => turn.locator('.logs pre').textContent()).toContain('applying: winter');
      expect(await turn.getAttribute('data-state')).toBe('running');
      // Replayed lines are not counted twice.
      expect((await turn.locator('.logs pre').textContent())!.split('\n').filter((line) => line === 'applying: winter')).toHaveLength(1);
      await page.screenshot({ path: '/tmp/chat-editor-running.png' });

      // Esc cancels the running turn, even from the prompt box.
      await page.focus('#prompt');
      await page.keyboard.press('Escape');
      await expect.poll(() => turn.getAttribute('data-state')).toBe('cancelled');
      expect((await server.engine.getTurn(turnId)).status).toBe('cancelled');
      expect(await turn.locator('.error .state').textContent()).toBe('Cancelled');
      // HEAD went back to the image before; the cancelled message stays in view with its retry.
      await expect.poll(() => headTurn(page)).toBe(root);

      server.clock.release();
      await turn.locator('[data-action="retry"]').click();
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const retried = await server.engine.getTurn((await headTurn(page))!);
      expect(retried).toMatchObject({ prompt: 'make it winter', parentId: root, status: 'succeeded', seedRequested: 6 });
      expect((await server.engine.children(root)).map((t) => t.id)).toContain(turnId);
      expect(await page.locator('#status').isHidden()).toBe(true);
      void sessionId;
    }));

  it('shows moderated, expired and failed turns with their reasons; Retry after a fault succeeds', () =>
    withPage(async ({ page, server }) => {
      await startSession(page, server);
      const [root] = (await chatTurnIds(page)) as [string];
      const newestChild = async () => (await server.engine.children(root)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).at(-1)!.id;

      await send(page, 'make it red [moderated]', 1);
      await expect.poll(() => page.locator('#chat .turn[data-state="moderated"]').count()).toBe(1);
      const moderated = page.locator('#chat .turn[data-state="moderated"]');
      expect(await moderated.getAttribute('data-turn-id')).toBe(await newestChild());
      expect(await moderated.locator('.error .state').textContent()).toContain('Moderated: the provider refused this on content grounds');
      expect(await moderated.locator('.error .reason').textContent()).toBe('Content Moderated (MODERATED)');
      await page.screenshot({ path: '/tmp/chat-editor-moderated.png' });

      await send(page, 'make it blue [expired]', 2);
      await expect.poll(() => page.locator('#chat .turn[data-state="expired"]').count()).toBe(1);
      const expired = page.locator('#chat .turn[data-state="expired"]');
      expect(await expired.locator('.error .state').textContent()).toContain('Expired: the provider no longer has this job');
      expect(await expired.locator('.error .reason').textContent()).toBe('Task not found (EXPIRED)');
      // Only the newest attempt from HEAD stays in view.
      expect(await page.locator('#chat .turn[data-state="moderated"]').count()).toBe(0);

      await send(page, 'make it green [flaky]', 3);
      await expect.poll(() => page.locator('#chat .turn[data-state="failed"]').count()).toBe(1);
      const failed = page.locator('#chat .turn[data-state="failed"]');
      const failedId = (await failed.getAttribute('data-turn-id'))!;
      expect(await failed.locator('.error .state').textContent()).toBe('Failed');
      expect(await failed.locator('.error .reason').textContent()).toBe('the GPU worker restarted mid-job (PROVIDER)');
      expect(await headTurn(page)).toBe(root);

      await failed.locator('[data-action="retry"]').click();
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const retried = await server.engine.getTurn((await headTurn(page))!);
      expect(retried).toMatchObject({ prompt: 'make it green [flaky]', parentId: root, status: 'succeeded', seedRequested: 3 });
      expect(retried.id).not.toBe(failedId);
      await expect.poll(() => allImagesDecoded(page, `${message(retried.id)} img.candidate`)).toBe(true);
      // The failed versions do not count as versions of the message: no ‹ 1/1 › switch.
      expect(await page.locator(`${message(retried.id)} .siblings`).count()).toBe(0);
    }));

  it('shows each message’s cost and the session total in dollars with cents', () =>
    withPage(async ({ page, server }) => {
      await startSession(page, server);
      await send(page, 'make it red', 1);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const first = (await headTurn(page))!;
      expect(await page.locator(`${message(first)} .turn-cost`).textContent()).toBe('$0.04');
      await page.selectOption('#num-images', '2');
      await send(page, 'make it night', 2);
      await expect.poll(() => succeededTurns(page)).toBe(3);
      const second = (await headTurn(page))!;
      expect(await page.locator(`${message(second)} .turn-cost`).textContent()).toBe('$0.08');
      await expect.poll(() => page.locator('#session-cost').textContent()).toBe('$0.12 total');
    }, { endpoints: new EndpointRegistry().withPrices({ [LOCAL_KONTEXT_SIM]: 40_000 }) }));

  it('shows prompts, titles and branch names as text, never as markup', () =>
    withPage(async ({ page, server }) => {
      await page.goto(`${server.running.url}/`);
      const hostile = '<img src=x onerror="document.body.dataset.pwned=1">';
      await page.fill('#start-prompt', 'a kitchen');
      await page.fill('#new-title', `<b>title</b>${hostile}`);
      await page.click('#start-session');
      await page.locator('#chat .turn[data-status="succeeded"]').first().waitFor();
      const sessionId = new URL(page.url()).hash.slice(1);
      await send(page, `make it red ${hostile}`, 1);
      await expect.poll(() => succeededTurns(page)).toBe(2);
      const turnId = (await headTurn(page))!;
      await server.engine.createBranch(sessionId, 'a<b>c</b>', turnId).catch(() => undefined);
      await server.engine.edit(sessionId, `<script>document.body.dataset.pwned=2</script> night`, { seed: 2 });
      await expect.poll(() => succeededTurns(page)).toBe(3);

      expect(await page.locator('#session-title').textContent()).toBe(`<b>title</b>${hostile}`);
      expect(await page.locator(`${message(turnId)} .prompt`).textContent()).toBe(`make it red ${hostile}`);
      expect(await page.locator(`#tree li[data-tree-turn="${turnId}"] > .node`).getAttribute('title')).toBe(`make it red ${hostile}`);
      const branches = await server.engine.listBranches(sessionId);
      if (branches.some((b) => b.name === 'a<b>c</b>')) expect(await page.locator('#branches li[data-branch="a<b>c</b>"] .branch-name').textContent()).toBe('a<b>c</b>');
      // No element was made from any of it, and nothing ran.
      expect(await page.evaluate(() => document.querySelectorAll('#workspace b, #topbar b, #workspace script, img[src="x"], img:not([src])').length)).toBe(0);
      expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
    }));
});

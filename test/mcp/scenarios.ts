import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import type { FalTestServer } from '../support/falTestServer.js';
import { testImage } from '../support/images.js';
import { call, callError, eventually, expectTurnImages, imageUrlBytes, readImage, sessionOf, textOf, turnOf, type TurnDoc } from './support.js';

/**
 * What both transports must do, whoever the client talks to: each scenario drives a connected
 * SDK client against a server whose provider is the given fal test server.
 */

/** Starts a session from the shared test picture, sent as base64 bytes. */
export async function startFromPicture(client: Client, title = 'kitchen'): Promise<{ sessionId: string; root: TurnDoc; source: Buffer }> {
  const source = await testImage(96, 64);
  const started = await call(client, 'start_session', { image: { bytes: source.toString('base64') }, title });
  const { session, head } = sessionOf(started);
  expect(head).toMatchObject({ parentId: null, status: 'succeeded' });
  expect(textOf(started)).toContain(session.id);
  await expectTurnImages(client, started, head!);
  return { sessionId: session.id, root: head!, source };
}

/**
 * Three edits in a row. Each result carries the turn id and its picture (a preview that
 * decodes, a link to the original); the fal server's own log shows that each edit sent the
 * previous turn's output as its image_url, and progress came while each ran.
 */
export async function chainedSession(client: Client, fal: FalTestServer): Promise<void> {
  const { sessionId, root, source } = await startFromPicture(client);
  const prompts = ['make it red', 'make it night', 'add snow'];
  const turns: TurnDoc[] = [root];
  const originals: Buffer[] = [await readImage(client, `kontext://images/${root.outputs[0]!.hash}`)];
  expect(originals[0]!.equals(source)).toBe(true);

  for (const [i, prompt] of prompts.entries()) {
    const progress: string[] = [];
    const result = await call(client, 'edit', { sessionId, prompt, params: { seed: 10 + i } }, { onprogress: (p) => progress.push(p.message ?? '') });
    const turn = turnOf(result);
    expect(turn).toMatchObject({ status: 'succeeded', parentId: turns.at(-1)!.id, prompt, seedUsed: 10 + i });
    expect(textOf(result)).toContain(`${turn.id} (HEAD -> main) ${prompt}`);
    originals.push((await expectTurnImages(client, result, turn))[0]!);
    expect(progress).toContain(`turn ${turn.id}: submitted to the provider`);
    expect(progress.at(-1)).toBe(`turn ${turn.id}: succeeded`);
    turns.push(turn);
  }

  const sent = fal.submissions.map((s) => s.body as { image_url: string; prompt: string; seed: number });
  expect(sent.map((b) => [b.prompt, b.seed])).toEqual(prompts.map((p, i) => [p, 10 + i]));
  expect(fal.submissions.map((s) => s.requestId)).toEqual(turns.slice(1).map((t) => t.requestId));
  // Turn n+1 was sent turn n's picture: the source for the first edit, then each edit's output.
  for (const [i, body] of sent.entries()) expect(imageUrlBytes(fal, body.image_url).equals(originals[i]!)).toBe(true);
  expect(new Set(turns.map((t) => t.outputs[0]!.hash)).size).toBe(4);
}

/**
 * Undo moves HEAD back without losing anything; an edit from there forks a branch; branch
 * names a turn; the log draws the fork; checkout goes back to the named tip.
 */
export async function branchAndUndo(client: Client, fal: FalTestServer): Promise<void> {
  const { sessionId, root } = await startFromPicture(client);
  const red = turnOf(await call(client, 'edit', { sessionId, prompt: 'make it red', params: { seed: 1 } }));
  const night = turnOf(await call(client, 'edit', { sessionId, prompt: 'make it night', params: { seed: 2 } }));

  const undone = await call(client, 'undo', { sessionId });
  expect(sessionOf(undone).session).toMatchObject({ headTurnId: red.id, headRef: 'main' });
  expect(textOf(undone)).toContain(`undo: HEAD is now at\n${red.id} (HEAD -> main) make it red`);
  // The picture shown is HEAD's: the red one, not the undone night.
  expect((await expectTurnImages(client, undone, sessionOf(undone).head!)).length).toBe(1);
  expect(sessionOf(undone).head!.id).toBe(red.id);

  const named = await call(client, 'branch', { sessionId, name: 'night', at: night.id });
  expect(named.structuredContent).toMatchObject({ branch: { name: 'night', turnId: night.id } });

  const snow = turnOf(await call(client, 'edit', { sessionId, prompt: 'add snow', params: { seed: 3 } }));
  expect(snow.parentId).toBe(red.id);
  // The snow edit was sent the red picture, not the undone night one.
  const snowSent = fal.submissions.find((s) => s.requestId === snow.requestId)!.body as { image_url: string };
  expect(imageUrlBytes(fal, snowSent.image_url).equals(await readImage(client, `kontext://images/${red.outputs[0]!.hash}`))).toBe(true);

  const log = textOf(await call(client, 'log', { sessionId }));
  const lines = log.split('\n');
  expect(lines[0]).toMatch(new RegExp(`^\\* ${snow.id} \\(HEAD -> main\\) add snow`));
  expect(log).toContain(`${night.id} (night) make it night`);
  expect(lines.some((l) => l.includes('|/'))).toBe(true);
  expect(log).toContain(`${root.id} [source image]`);

  const back = await call(client, 'checkout', { sessionId, ref: 'night' });
  expect(sessionOf(back).session).toMatchObject({ headTurnId: night.id, headRef: 'night' });
  const redone = await callError(client, 'redo', { sessionId });
  expect(redone.error.code).toBe('CONFLICT');
  expect(fal.submissions).toHaveLength(3);
}

/**
 * Cancelling the call (the SDK sends notifications/cancelled) cancels the turn, on fal too;
 * HEAD stays where it was and the session goes on.
 */
export async function cancelledTurn(client: Client, fal: FalTestServer): Promise<void> {
  const { sessionId, root } = await startFromPicture(client);
  // fal holds the next job in its queue until released: the turn is certainly still running when cancelled.
  fal.faults.push({ on: 'job', kind: 'timing', hold: true });
  const controller = new AbortController();
  let onSubmitted!: (turnId: string) => void;
  const submitted = new Promise<string>((resolve) => (onSubmitted = resolve));
  const calling = client.callTool({ name: 'edit', arguments: { sessionId, prompt: 'make it night' } }, undefined, {
    signal: controller.signal,
    onprogress: (p) => {
      const match = /^turn (\S+): submitted to the provider$/.exec(p.message ?? '');
      if (match) onSubmitted(match[1]!);
    },
  });
  const turnId = await submitted;
  controller.abort('the user changed their mind');
  await expect(calling).rejects.toThrow(/changed their mind/);

  const cancelled = await eventually(
    async () => turnOf(await call(client, 'show', { sessionId, turn: turnId })),
    (t) => t.status === 'cancelled',
  );
  expect(cancelled.requestId).toBe(fal.submissions[0]!.requestId);
  expect(fal.job(cancelled.requestId!)).toMatchObject({ cancelled: true });
  expect(fal.requestsTo('cancel').length).toBeGreaterThanOrEqual(1);

  const head = turnOf(await call(client, 'show', { sessionId, turn: 'HEAD' }));
  expect(head.id).toBe(root.id);
  const next = turnOf(await call(client, 'edit', { sessionId, prompt: 'make it red', params: { seed: 4 } }));
  expect(next).toMatchObject({ status: 'succeeded', parentId: root.id });
}

/** Bad arguments are tool errors (isError) naming every problem, in the words and codes of the CLI and HTTP API. */
export async function badArguments(client: Client): Promise<void> {
  const { sessionId } = await startFromPicture(client);
  const bad = await callError(client, 'edit', { sessionId, prompt: '  ', params: { guidance_scale: 50, num_images: 2.5 }, colour: 'blue' });
  expect(bad.text).toBe('VALIDATION: arguments: prompt: must not be empty; params.guidance_scale: 50 is above the maximum 20; params.num_images: 2.5 is not an integer; colour: is not a known field');
  expect(bad.error.code).toBe('VALIDATION');

  expect((await callError(client, 'edit', { sessionId: 'nosuchsession1', prompt: 'make it night' })).text).toBe("NOT_FOUND: session 'nosuchsession1' not found");
  expect((await callError(client, 'start_session', { prompt: 'a cat', image: { url: 'https://example.com/cat.png' } })).text).toBe('VALIDATION: arguments: image: give exactly one of image or prompt');
  expect((await callError(client, 'start_session', { image: { bytes: Buffer.from('not a picture').toString('base64') } })).text).toMatch(/^VALIDATION: image: is not a supported image; allowed: /);
  expect((await callError(client, 'start_session', { image: { url: 'file:///etc/passwd' } })).text).toBe('VALIDATION: arguments: image.url: must be an http(s) URL');
  expect((await callError(client, 'undo', { sessionId })).error.code).toBe('CONFLICT');
  expect((await callError(client, 'checkout', { sessionId, ref: 'nope' })).error.code).toBe('NOT_FOUND');
  expect((await callError(client, 'pick', { sessionId, turn: 'HEAD', index: 3 })).text).toMatch(/^VALIDATION: .*3/);
}

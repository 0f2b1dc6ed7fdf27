import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import sharp from 'sharp';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loopbackServer } from '../server/support.js';
import { badArguments, branchAndUndo, cancelledTurn, chainedSession, startFromPicture } from './scenarios.js';
import { ALICE, BOB, call, callError, engineOn, eventually, expectTurnImages, falServer, httpClient, httpServer, readImage, sessionOf, textOf, turnOf } from './support.js';

describe('MCP over Streamable HTTP at /mcp (createServer on 127.0.0.1, a fal test server behind it)', () => {
  it("chains three edits: each result's picture decodes, and fal's log shows turn n+1 sent turn n's output", async () => {
    const fal = await falServer();
    const { url } = await httpServer(engineOn(fal));
    await chainedSession(await httpClient(url, ALICE.token), fal);
  });

  it('undo, a fork from the older turn, a named branch and checkout', async () => {
    const fal = await falServer();
    const { url } = await httpServer(engineOn(fal));
    await branchAndUndo(await httpClient(url, ALICE.token), fal);
  });

  it('cancelling the tool call cancels the turn on fal', async () => {
    const fal = await falServer();
    const { url } = await httpServer(engineOn(fal));
    await cancelledTurn(await httpClient(url, ALICE.token), fal);
  });

  it('a client that goes away mid-edit does not cancel the turn: it runs to its result, which stays in the session', async () => {
    const fal = await falServer();
    const engine = engineOn(fal);
    const { url } = await httpServer(engine);
    const client = await httpClient(url, ALICE.token);
    const { sessionId } = await startFromPicture(client);
    fal.faults.push({ on: 'job', kind: 'timing', hold: true });
    let onSubmitted!: (turnId: string) => void;
    const submitted = new Promise<string>((resolve) => (onSubmitted = resolve));
    const calling = client.callTool({ name: 'edit', arguments: { sessionId, prompt: 'make it night' } }, undefined, {
      onprogress: (p) => {
        const match = /^turn (\S+): submitted to the provider$/.exec(p.message ?? '');
        if (match) onSubmitted(match[1]!);
      },
    });
    calling.catch(() => undefined);
    const turnId = await submitted;
    // The MCP session ends (DELETE /mcp), as when a chat app quits.
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    await client.close();

    const requestId = fal.submissions[0]!.requestId;
    fal.release(requestId);
    const turn = await eventually(() => engine.getTurn(turnId), (t) => t.status !== 'submitted' && t.status !== 'running' && t.status !== 'pending');
    expect(turn.status).toBe('succeeded');
    expect(fal.job(requestId)).toMatchObject({ cancelled: false });
    expect((await engine.getSession(sessionId)).headTurnId).toBe(turnId);
  });

  it('bad arguments are tool errors with the messages and codes of the CLI and HTTP API', async () => {
    const fal = await falServer();
    const { url } = await httpServer(engineOn(fal));
    await badArguments(await httpClient(url, ALICE.token));
    expect(fal.submissions).toHaveLength(0);
  });

  it('refuses arguments for exactly the reasons, and in the words, the REST route does', async () => {
    const fal = await falServer();
    const { url } = await httpServer(engineOn(fal));
    const client = await httpClient(url, ALICE.token);
    const { sessionId } = await startFromPicture(client);
    const body = { prompt: '', params: { seed: -1, output_format: 'gif' }, from: '../x', memo: 'sometimes' };
    const rest = await fetch(`${url}/sessions/${sessionId}/turns`, { method: 'POST', headers: { authorization: `Bearer ${ALICE.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const restError = ((await rest.json()) as { error: { code: string; message: string; details: { issues: unknown[] } } }).error;
    const mcpError = (await callError(client, 'edit', { sessionId, ...body })).error;
    expect(rest.status).toBe(422);
    expect(mcpError.code).toBe(restError.code);
    expect(mcpError.details.issues).toEqual(restError.details.issues);
    expect(mcpError.message).toBe(restError.message.replace(/^body: /, 'arguments: '));
    // Errors past validation (the engine's) are word for word the same.
    const undoRest = await fetch(`${url}/sessions/${sessionId}/undo`, { method: 'POST', headers: { authorization: `Bearer ${ALICE.token}` } });
    const undoMcp = await callError(client, 'undo', { sessionId });
    expect(undoMcp.text).toBe(`CONFLICT: ${((await undoRest.json()) as { error: { message: string } }).error.message}`);
  });

  it("another owner's session, tree and images are invisible: they answer like ones that do not exist", async () => {
    const fal = await falServer();
    const { url } = await httpServer(engineOn(fal));
    const alice = await httpClient(url, ALICE.token);
    const bob = await httpClient(url, BOB.token);
    const { sessionId } = await startFromPicture(alice);
    const edited = turnOf(await call(alice, 'edit', { sessionId, prompt: 'make it night', params: { seed: 1 } }));
    const hash = edited.outputs[0]!.hash;

    expect(sessionOf(await call(alice, 'list_sessions', {})).session).toBeUndefined();
    expect((await call(alice, 'list_sessions', {})).structuredContent).toMatchObject({ sessions: [{ id: sessionId, owner: 'alice' }] });
    expect((await call(bob, 'list_sessions', {})).structuredContent).toEqual({ sessions: [] });

    const missing = 'nosuchsession1';
    for (const [tool, args] of [
      ['edit', { prompt: 'make it red' }],
      ['log', {}],
      ['undo', {}],
      ['cost', {}],
      ['show', { turn: 'HEAD' }],
    ] as const) {
      const theirs = await callError(bob, tool, { sessionId, ...args });
      const none = await callError(bob, tool, { sessionId: missing, ...args });
      expect(theirs.text).toBe(none.text.replace(missing, sessionId));
      expect(theirs.error.code).toBe('NOT_FOUND');
    }
    await expect(bob.readResource({ uri: `kontext://sessions/${sessionId}/tree` })).rejects.toThrow(`MCP error -32002: NOT_FOUND: session '${sessionId}' not found`);
    await expect(bob.readResource({ uri: `kontext://images/${hash}` })).rejects.toThrow(`MCP error -32002: NOT_FOUND: image '${hash}' not found`);
    expect((await bob.listResources()).resources.map((r) => r.uri)).toEqual(['kontext://sessions']);
    expect((await readImage(alice, `kontext://images/${hash}`)).length).toBeGreaterThan(0);
    // Bob's edit never reached fal, and alice's session is as she left it.
    expect(fal.submissions).toHaveLength(1);
    expect(sessionOf(await call(alice, 'undo', { sessionId })).session.headTurnId).not.toBe(edited.id);

    // Alice's MCP session id with bob's token is an unknown session, not hers.
    const aliceSession = (alice.transport as StreamableHTTPClientTransport).sessionId!;
    const hijack = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOB.token}`, 'mcp-session-id': aliceSession, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_sessions', arguments: {} } }),
    });
    expect(hijack.status).toBe(404);
    expect(await hijack.json()).toMatchObject({ error: { message: 'Session not found' } });
  });

  it('needs the bearer token, like the REST routes', async () => {
    const { url } = await httpServer(engineOn('local'));
    await expect(httpClient(url)).rejects.toThrow(/"code":"AUTH"/);
    await expect(httpClient(url, 'not-a-token-of-anyone-here')).rejects.toThrow(/"code":"AUTH"/);
    const anonymous = await fetch(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect(await anonymous.json()).toMatchObject({ error: { code: 'AUTH' } });
  });

  it('starts from an image URL through the server\'s SSRF guard; a large picture comes back as a 512 px preview and its original', async () => {
    const big = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#3060c0' } }).png().toBuffer();
    const images = await loopbackServer({ '/big.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(big) });
    onTestFinished(() => images.close());
    const { url } = await httpServer(engineOn('local'), { ssrf: { allowHosts: ['127.0.0.1'] } });
    const client = await httpClient(url, ALICE.token);

    const started = await call(client, 'start_session', { image: { url: `http://127.0.0.1:${images.port}/big.png` } });
    const root = sessionOf(started).head!;
    expect(root.outputs[0]).toMatchObject({ width: 1200, height: 800, contentType: 'image/png' });
    const [original] = await expectTurnImages(client, started, root);
    expect(original!.equals(big)).toBe(true);
    const preview = await sharp(Buffer.from((started.content.find((c) => c.type === 'image') as { data: string }).data, 'base64')).metadata();
    expect({ width: preview.width, height: preview.height, format: preview.format }).toEqual({ width: 512, height: 341, format: 'jpeg' });

    // Any other loopback address is refused before a connection is made.
    const refused = await callError(client, 'start_session', { image: { url: `http://127.0.0.2:${images.port}/big.png` } });
    expect(refused.error.code).toBe('UNSAFE_URL');
    expect(images.hits).toEqual(['/big.png']);
  });

  it('replay copies for free, what_if_plan prices without spending, and replay_fresh, what_if and cost spend and add up', async () => {
    const fal = await falServer();
    const { url } = await httpServer(engineOn(fal));
    const client = await httpClient(url, ALICE.token);
    const { sessionId } = await startFromPicture(client);
    const red = turnOf(await call(client, 'edit', { sessionId, prompt: 'make it red', params: { seed: 1 } }));
    const night = turnOf(await call(client, 'edit', { sessionId, prompt: 'make it night', params: { seed: 2 } }));
    expect(fal.submissions).toHaveLength(2);

    const exact = await call(client, 'replay', { sessionId, branch: 'copy' });
    expect(exact.structuredContent).toMatchObject({ replay: { mode: 'exact', branch: 'copy', providerCalls: 0, costMicros: 0 } });
    await expectTurnImages(client, exact, { ...night, outputs: night.outputs });
    expect(fal.submissions).toHaveLength(2);

    const plan = await call(client, 'what_if_plan', { sessionId, turn: red.id, prompt: 'make it green' });
    expect(plan.structuredContent).toMatchObject({ whatIf: { dryRun: true, estimatedCostMicros: 80_000, plan: [{ original: red.id, prompt: 'make it green' }, { original: night.id }] } });
    expect(fal.submissions).toHaveLength(2);

    const progress: string[] = [];
    const fresh = await call(client, 'replay_fresh', { sessionId, to: red.id }, { onprogress: (p) => progress.push(p.message ?? '') });
    expect(fresh.structuredContent).toMatchObject({ replay: { mode: 'fresh', providerCalls: 1 } });
    expect(progress.some((m) => m.endsWith('submitted to the provider'))).toBe(true);
    expect(fal.submissions).toHaveLength(3);

    const whatIf = await call(client, 'what_if', { sessionId, turn: red.id, prompt: 'make it green' });
    const mapping = (whatIf.structuredContent as { whatIf: { mapping: Record<string, string> } }).whatIf.mapping;
    expect(Object.keys(mapping).sort()).toEqual([red.id, night.id].sort());
    expect(textOf(whatIf)).toContain(`turn ${red.id} is now ${mapping[red.id]}`);
    expect((fal.submissions[3]!.body as { prompt: string }).prompt).toBe('make it green');
    expect(fal.submissions).toHaveLength(5);

    const cost = (await call(client, 'cost', { sessionId })).structuredContent as { totalMicros: number; byTurn: Record<string, number> };
    expect(cost.totalMicros).toBe(5 * 40_000);
    expect(Object.values(cost.byTurn).reduce((a, b) => a + b, 0)).toBe(cost.totalMicros);
  });
});


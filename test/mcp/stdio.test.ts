import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli } from '../cli/support/cli.js';
import { badArguments, branchAndUndo, cancelledTurn, chainedSession, startFromPicture } from './scenarios.js';
import { falServer, stdioClient, textOf } from './support.js';

beforeAll(requireBuiltCli);

describe('kontext mcp: the built bin over stdio, on a fal test server on 127.0.0.1', () => {
  it("chains three edits: each result's picture decodes, and fal's log shows turn n+1 sent turn n's output", async () => {
    const fal = await falServer();
    const { client, stderr } = await stdioClient(fal);
    await chainedSession(client, fal);
    // stdout is the protocol's alone: what the CLI says goes to stderr.
    expect(stderr()).toContain('provider: fal');
  }, 60_000);

  it('undo, a fork from the older turn, a named branch and checkout', async () => {
    const fal = await falServer();
    const { client } = await stdioClient(fal);
    await branchAndUndo(client, fal);
  }, 60_000);

  it('cancelling the tool call cancels the turn on fal', async () => {
    const fal = await falServer();
    const { client } = await stdioClient(fal);
    await cancelledTurn(client, fal);
  }, 60_000);

  it('bad arguments are tool errors with the messages and codes of the CLI and HTTP API', async () => {
    const { client } = await stdioClient();
    await badArguments(client);
  }, 60_000);

  it('never sends the fal key, even when fal echoes it back in an error', async () => {
    const fal = await falServer({ key: 'server-id:server-secret-0a9b8c7d6e' });
    // fal answers a wrong key with 401 "Invalid credentials: <the key it was given>".
    const wrong = 'wrong-id:wrong-secret-1f2e3d4c5b';
    const { client, stderr } = await stdioClient(fal, wrong);
    const { sessionId } = await startFromPicture(client);
    const result = (await client.callTool({ name: 'edit', arguments: { sessionId, prompt: 'make it night' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/failed: AUTH: /);
    for (const text of [JSON.stringify(result), stderr()]) expect(text).not.toContain('wrong-secret-1f2e3d4c5b');
  }, 60_000);

  it('lists every tool, with read-only and spending hints where they belong', async () => {
    const { client } = await stdioClient();
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual(
      ['branch', 'checkout', 'cost', 'edit', 'list_sessions', 'log', 'pick', 'redo', 'replay', 'replay_fresh', 'show', 'start_session', 'undo', 'what_if', 'what_if_plan'].sort(),
    );
    const spends = tools.filter((t) => t._meta?.['kontext-sessions/spendsMoney'] === true).map((t) => t.name);
    expect(spends.sort()).toEqual(['edit', 'replay_fresh', 'start_session', 'what_if']);
    for (const name of spends) expect(byName.get(name)!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, openWorldHint: true });
    const reads = tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name);
    expect(reads.sort()).toEqual(['cost', 'list_sessions', 'log', 'show', 'what_if_plan']);
    for (const name of ['undo', 'redo', 'checkout', 'branch', 'pick', 'replay']) expect(byName.get(name)!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, openWorldHint: false });
    // The arguments are the API's schemas: limits and descriptions included, with no reference left to resolve.
    const edit = byName.get('edit')!.inputSchema as unknown as { properties: Record<string, { properties?: Record<string, unknown> }>; required: string[]; additionalProperties: boolean };
    expect(edit.required).toEqual(['sessionId', 'prompt']);
    expect(edit.additionalProperties).toBe(false);
    expect(edit.properties.params!.properties!.guidance_scale).toMatchObject({ type: 'number', minimum: 1, maximum: 20 });
    expect(JSON.stringify(tools.map((t) => t.inputSchema))).not.toContain('$ref');
  }, 60_000);
});

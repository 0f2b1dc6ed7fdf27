import { describe, expect, it } from 'vitest';
import { ErrorJson, HeadJson, ReplayJson, TreeJson, TurnJson, WhatIfJson } from '../../src/server/schemas.js';
import { JSON_HEADERS, makeEngine, makeServer, testImage } from './support.js';

type App = ReturnType<typeof makeServer>['app'];

async function session(app: App, prompts: string[]) {
  const created = HeadJson.parse(await (await app.request('/sessions', { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() })).json());
  const turns: string[] = [];
  for (const [i, prompt] of prompts.entries()) {
    const res = await app.request(`/sessions/${created.session.id}/turns?wait=true`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt, params: { seed: i + 1 } }) });
    turns.push(TurnJson.parse(await res.json()).id);
  }
  return { id: created.session.id, turns };
}

const post = (app: App, path: string, body?: unknown) =>
  app.request(path, body === undefined ? { method: 'POST' } : { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });

describe('replay', () => {
  it('exact: copies the path into a new branch without a provider call', async () => {
    const engine = makeEngine();
    const { app } = makeServer(engine);
    const s = await session(app, ['make it red', 'make it night']);
    const res = await post(app, `/sessions/${s.id}/replay`);
    expect(res.status).toBe(201);
    const report = ReplayJson.parse(await res.json());
    expect(report).toMatchObject({ mode: 'exact', providerCalls: 0, branch: 'replay-1' });
    expect(report.steps.map((step) => step.original)).toEqual(s.turns);
    const tree = TreeJson.parse(await (await app.request(`/sessions/${s.id}/tree`)).json());
    const byId = new Map(tree.turns.map((t) => [t.id, t]));
    for (const step of report.steps) expect(byId.get(step.replayed)!.outputs[0]!.hash).toBe(byId.get(step.original)!.outputs[0]!.hash);
  });

  it('fresh: runs every turn again with its recorded seed, into the named branch', async () => {
    const { app } = makeServer(makeEngine());
    const s = await session(app, ['make it red', 'make it night']);
    const report = ReplayJson.parse(await (await post(app, `/sessions/${s.id}/replay`, { mode: 'fresh', to: s.turns[0], branch: 'again' })).json());
    expect(report).toMatchObject({ mode: 'fresh', providerCalls: 1, branch: 'again' });
    expect(report.steps).toHaveLength(1);
    expect(report.steps[0]!.status).toBe('succeeded');
  });

  it('refuses an unknown mode (422) and an existing branch name (422)', async () => {
    const { app } = makeServer(makeEngine());
    const s = await session(app, ['make it red']);
    expect((await post(app, `/sessions/${s.id}/replay`, { mode: 'sideways' })).status).toBe(422);
    const taken = await post(app, `/sessions/${s.id}/replay`, { branch: 'main' });
    expect(taken.status).toBe(422);
    expect(ErrorJson.parse(await taken.json()).error.message).toContain("'main' already exists");
  });
});

describe('what-if', () => {
  it('a dry run prices the plan and writes nothing', async () => {
    const { app } = makeServer(makeEngine());
    const s = await session(app, ['make it red', 'make it night']);
    const res = await post(app, `/sessions/${s.id}/what-if`, { turn: s.turns[0], prompt: 'make it green', dryRun: true });
    expect(res.status).toBe(200);
    const result = WhatIfJson.parse(await res.json());
    expect(result).toMatchObject({ dryRun: true, estimatedCostMicros: 0, mapping: {} });
    expect(result.plan.map((p) => [p.original, p.prompt])).toEqual([
      [s.turns[0], 'make it green'],
      [s.turns[1], 'make it night'],
    ]);
    expect(TreeJson.parse(await (await app.request(`/sessions/${s.id}/tree`)).json()).turns).toHaveLength(3);
  });

  it('re-applies the subtree on the changed turn and copies its branches', async () => {
    const { app } = makeServer(makeEngine());
    const s = await session(app, ['make it red', 'make it night']);
    const res = await post(app, `/sessions/${s.id}/what-if`, { turn: s.turns[0], params: { guidance_scale: 7 } });
    expect(res.status).toBe(201);
    const result = WhatIfJson.parse(await res.json());
    expect(Object.keys(result.mapping).sort()).toEqual([...s.turns].sort());
    expect(result.branches).toEqual({ main: 'main-whatif' });
    expect(result.failed).toEqual([]);
  });

  it('needs a prompt or params (422), and a turn of this session (404)', async () => {
    const { app } = makeServer(makeEngine());
    const s = await session(app, ['make it red']);
    expect((await post(app, `/sessions/${s.id}/what-if`, { turn: s.turns[0] })).status).toBe(422);
    expect((await post(app, `/sessions/${s.id}/what-if`, { turn: 'nosuchturn', prompt: 'x' })).status).toBe(404);
  });
});

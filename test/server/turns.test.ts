import { describe, expect, it } from 'vitest';
import { EndpointRegistry, LOCAL_KONTEXT_SIM } from '../../src/kontext/endpoints.js';
import { ErrorJson, HeadJson, TreeJson, TurnJson } from '../../src/server/schemas.js';
import { JSON_HEADERS, makeEngine, makeServer, testImage } from './support.js';

type App = ReturnType<typeof makeServer>['app'];

async function started(app: App, params?: Record<string, unknown>) {
  const res = await app.request('/sessions?' + new URLSearchParams(params ? { params: JSON.stringify(params) } : {}), {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: await testImage(),
  });
  return HeadJson.parse(await res.json());
}

function edit(app: App, sessionId: string, body: Record<string, unknown>, query = '') {
  return app.request(`/sessions/${sessionId}/turns${query}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
}

describe('editing', () => {
  it('answers 202 with the pending turn at once and finishes it in the background', async () => {
    const engine = makeEngine();
    const { app } = makeServer(engine);
    const { session, head: root } = await started(app);
    const res = await edit(app, session.id, { prompt: 'make it red', params: { seed: 1 } });
    expect(res.status).toBe(202);
    const pending = TurnJson.parse(await res.json());
    expect(res.headers.get('location')).toBe(`/sessions/${session.id}/turns/${pending.id}`);
    expect(pending).toMatchObject({ parentId: root!.id, prompt: 'make it red', seedRequested: 1 });
    await engine.runner.waitUntilSettled(pending.id);
    const done = TurnJson.parse(await (await app.request(`/sessions/${session.id}/turns/${pending.id}`)).json());
    expect(done.status).toBe('succeeded');
    expect(done.outputs).toHaveLength(1);
    expect(done.inputBlob).toBe(root!.outputs[0]!.hash);
    expect((await app.request(done.outputs[0]!.url)).status).toBe(200);
  });

  it('?wait=true answers 201 with the finished turn; the next edit chains from its output', async () => {
    const { app } = makeServer(makeEngine());
    const { session } = await started(app);
    const first = await edit(app, session.id, { prompt: 'make it red', params: { seed: 1 } }, '?wait=true');
    expect(first.status).toBe(201);
    const a = TurnJson.parse(await first.json());
    expect(a.status).toBe('succeeded');
    const b = TurnJson.parse(await (await edit(app, session.id, { prompt: 'make it night' }, '?wait=true')).json());
    expect(b.parentId).toBe(a.id);
    expect(b.inputBlob).toBe(a.outputs[0]!.hash);
  });

  it('an edit from an earlier turn branches, leaving the old path intact', async () => {
    const { app } = makeServer(makeEngine());
    const { session } = await started(app);
    const a = TurnJson.parse(await (await edit(app, session.id, { prompt: 'make it red', params: { seed: 1 } }, '?wait=true')).json());
    const b = TurnJson.parse(await (await edit(app, session.id, { prompt: 'make it night', params: { seed: 2 } }, '?wait=true')).json());
    const alt = TurnJson.parse(await (await edit(app, session.id, { prompt: 'make it winter', from: a.id }, '?wait=true')).json());
    expect(alt.parentId).toBe(a.id);
    const children = (await (await app.request(`/sessions/${session.id}/turns/${a.id}/children`)).json()) as { turns: { id: string }[] };
    expect(children.turns.map((t) => t.id).sort()).toEqual([b.id, alt.id].sort());
    const path = (await (await app.request(`/sessions/${session.id}/turns/${b.id}/path`)).json()) as { turns: { id: string }[] };
    expect(path.turns.map((t) => t.id)).toEqual([session.headTurnId, a.id, b.id]);
    const tree = TreeJson.parse(await (await app.request(`/sessions/${session.id}/tree`)).json());
    expect(tree.turns).toHaveLength(4);
  });

  it('turns are found by id prefix, HEAD and HEAD~1', async () => {
    const { app } = makeServer(makeEngine());
    const { session } = await started(app);
    const a = TurnJson.parse(await (await edit(app, session.id, { prompt: 'make it red' }, '?wait=true')).json());
    const get = async (ref: string) => TurnJson.parse(await (await app.request(`/sessions/${session.id}/turns/${ref}`)).json()).id;
    expect(await get('HEAD')).toBe(a.id);
    expect(await get(a.id.slice(0, 6))).toBe(a.id);
    expect(await get('HEAD~1')).toBe(session.headTurnId);
    expect(await get('main')).toBe(a.id);
  });

  it('picks a candidate, and the next edit continues from it', async () => {
    const { app } = makeServer(makeEngine());
    const { session } = await started(app);
    const multi = TurnJson.parse(await (await edit(app, session.id, { prompt: 'make it blue', params: { num_images: 3, seed: 5 } }, '?wait=true')).json());
    expect(multi.outputs).toHaveLength(3);
    const picked = await app.request(`/sessions/${session.id}/turns/${multi.id}/pick`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ index: 2 }) });
    expect(picked.status).toBe(200);
    expect(TurnJson.parse(await picked.json()).selectedOutput).toBe(2);
    const next = TurnJson.parse(await (await edit(app, session.id, { prompt: 'blur' }, '?wait=true')).json());
    expect(next.inputBlob).toBe(multi.outputs[2]!.hash);

    const out = await app.request(`/sessions/${session.id}/turns/${multi.id}/pick`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ index: 3 }) });
    expect(out.status).toBe(422);
    expect(ErrorJson.parse(await out.json()).error.message).toContain('allowed: 0 to 2');
  });

  it('cancels a running turn; cancelling it again is a 409', async () => {
    const { app } = makeServer(makeEngine({ local: { delayMs: 60_000 } }));
    const { session } = await started(app);
    const pending = TurnJson.parse(await (await edit(app, session.id, { prompt: 'make it red' })).json());
    const cancelled = await app.request(`/sessions/${session.id}/turns/${pending.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(TurnJson.parse(await cancelled.json()).status).toBe('cancelled');
    const again = await app.request(`/sessions/${session.id}/turns/${pending.id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(ErrorJson.parse(await again.json()).error.code).toBe('CONFLICT');
  });

  it('too many turns in flight for one owner is a 429 with Retry-After', async () => {
    const server = makeServer(makeEngine({ local: { delayMs: 60_000 } }), { maxTurnsInFlightPerOwner: 1 });
    const { app } = server;
    const { session } = await started(app);
    const first = TurnJson.parse(await (await edit(app, session.id, { prompt: 'make it red' })).json());
    const second = await edit(app, session.id, { prompt: 'make it night', from: session.headTurnId! });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(ErrorJson.parse(await second.json()).error.code).toBe('RATE_LIMITED');
    await app.request(`/sessions/${session.id}/turns/${first.id}/cancel`, { method: 'POST' });
    expect(await server.settleTurns(60_000)).toBe(true);
    // The slot is given back once the turn has ended.
    const third = await edit(app, session.id, { prompt: 'make it night', from: session.headTurnId! });
    expect(third.status).toBe(202);
    await app.request(`/sessions/${session.id}/turns/${TurnJson.parse(await third.json()).id}/cancel`, { method: 'POST' });
  });

  it('an edit that would pass the budget is refused with 409 BUDGET_EXCEEDED before it is sent', async () => {
    const endpoints = new EndpointRegistry().withPrices({ [LOCAL_KONTEXT_SIM]: 10_000 });
    const engine = makeEngine({ endpoints });
    const { app } = makeServer(engine);
    const res = await app.request('/sessions?budgetMicros=15000', { method: 'POST', headers: { 'content-type': 'image/png' }, body: await testImage() });
    const { session } = HeadJson.parse(await res.json());
    expect((await edit(app, session.id, { prompt: 'make it red' }, '?wait=true')).status).toBe(201);
    const refused = await edit(app, session.id, { prompt: 'make it night' }, '?wait=true');
    expect(refused.status).toBe(409);
    expect(ErrorJson.parse(await refused.json()).error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budgetMicros: 15_000, spentMicros: 10_000, turnCostMicros: 10_000 } });
    const cost = await (await app.request(`/sessions/${session.id}/cost`)).json();
    expect(cost).toMatchObject({ totalMicros: 10_000, budgetMicros: 15_000 });
  });

  it('refuses bad edits with the right status', async () => {
    const { app } = makeServer(makeEngine());
    const { session } = await started(app);
    const cases: [Record<string, unknown>, string, number, string][] = [
      [{ prompt: 'x', params: { guidance_scale: 25 } }, '', 422, 'VALIDATION'],
      [{ prompt: 'x', params: { seed: -1 } }, '', 422, 'VALIDATION'],
      [{ prompt: 'x', params: { aspect_ratio: '5:4' } }, '', 422, 'VALIDATION'],
      [{ prompt: 'x', params: { safety_tolerance: 2 } }, '', 422, 'VALIDATION'],
      [{ prompt: 'x', extra: true }, '', 422, 'VALIDATION'],
      [{ prompt: 42 }, '', 422, 'VALIDATION'],
      [{ prompt: 'x', from: 'nosuchturn' }, '', 404, 'NOT_FOUND'],
      [{ prompt: 'x', from: '../../etc' }, '', 422, 'VALIDATION'],
      [{ prompt: 'x', candidate: 2 }, '', 422, 'VALIDATION'],
      [{ prompt: 'x' }, '?wait=yes', 422, 'VALIDATION'],
      [{ prompt: 'x' }, '?wait=true&wait=false', 422, 'VALIDATION'],
    ];
    for (const [body, query, status, code] of cases) {
      const res = await edit(app, session.id, body, query);
      expect(res.status, JSON.stringify(body) + query).toBe(status);
      expect(ErrorJson.parse(await res.json()).error.code).toBe(code);
    }
    const guidance = await edit(app, session.id, { prompt: 'x', params: { guidance_scale: 25 } });
    expect(ErrorJson.parse(await guidance.json()).error.details.issues).toEqual([{ field: 'params.guidance_scale', message: '25 is above the maximum 20' }]);
    // Nothing was created by any of them.
    expect(TreeJson.parse(await (await app.request(`/sessions/${session.id}/tree`)).json()).turns).toHaveLength(1);
  });

  it('unknown turns and sessions are 404', async () => {
    const { app } = makeServer(makeEngine());
    const { session } = await started(app);
    for (const path of [`/sessions/${session.id}/turns/nosuchturn`, `/sessions/nosuchsession/turns/HEAD`, `/sessions/${session.id}/turns/HEAD~5`.replace('HEAD~5', 'zz')]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
    }
    const edits = await edit(app, 'nosuchsession', { prompt: 'x' });
    expect(edits.status).toBe(404);
  });
});

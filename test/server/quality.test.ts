import { describe, expect, it } from 'vitest';
import { HeadJson } from '../../src/server/schemas.js';
import { JSON_HEADERS, makeEngine, makeServer } from './support.js';

describe('session quality settings over HTTP', () => {
  it('are taken on create and on PATCH, shown on the session, and refused naming the field when out of range', async () => {
    const { app } = makeServer(makeEngine());
    const created = await app.request('/sessions', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ prompt: 'a red bicycle', quality: { pinAspect: false, warnSsimBelow: 0.8 } }) });
    expect(created.status).toBe(201);
    const { session } = HeadJson.parse(await created.json());
    expect(session.quality).toEqual({ pinAspect: false, warnSsimBelow: 0.8 });
    const patched = await app.request(`/sessions/${session.id}`, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ quality: { preserveRegions: true } }) });
    expect(HeadJson.parse(await patched.json()).session.quality).toEqual({ pinAspect: false, warnSsimBelow: 0.8, preserveRegions: true });
    const bad = await app.request(`/sessions/${session.id}`, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ quality: { warnSsimBelow: 3 } }) });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain('quality.warnSsimBelow');
    expect(HeadJson.parse(await (await app.request(`/sessions/${session.id}`)).json()).session.quality).toEqual({ pinAspect: false, warnSsimBelow: 0.8, preserveRegions: true });
  });
});

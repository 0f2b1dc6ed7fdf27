import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { testImage } from '../support/images.js';
import { ALICE, call, callError, engineOn, httpClient, httpServer, sessionOf, turnOf } from './support.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('the MCP edit tool with references', () => {
  it('sends data-URI and kontext://images/<hash> references and returns them on the turn', async () => {
    const { url } = await httpServer(engineOn('local'));
    const client = await httpClient(url, ALICE.token);
    const started = sessionOf(await call(client, 'start_session', { image: { bytes: (await testImage()).toString('base64') } }));
    const yellow = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 250, g: 220, b: 0 } } }).png().toBuffer();
    const rootHash = started.head!.outputs[0]!.hash;
    const result = await call(client, 'edit', {
      sessionId: started.session.id,
      prompt: 'make it red',
      params: { seed: 1 },
      references: [`data:image/png;base64,${yellow.toString('base64')}`, `kontext://images/${rootHash}`],
    });
    const turn = turnOf(result) as ReturnType<typeof turnOf> & { references: string[] };
    expect(turn.status).toBe('succeeded');
    expect(turn.references).toEqual([`kontext://images/${sha256(yellow)}`, `kontext://images/${rootHash}`]);
  });

  it('too many references are a validation error naming references, before anything is sent', async () => {
    const engine = engineOn('local');
    const { url } = await httpServer(engine);
    const client = await httpClient(url, ALICE.token);
    const started = sessionOf(await call(client, 'start_session', { image: { bytes: (await testImage()).toString('base64') } }));
    const ref = `kontext://images/${started.head!.outputs[0]!.hash}`;
    const { text } = await callError(client, 'edit', { sessionId: started.session.id, prompt: 'make it red', references: [ref, ref, ref, ref, ref] });
    expect(text).toBe("VALIDATION: references: 5 reference images given; 'local/kontext-sim' takes at most 4");
    expect((await engine.tree(started.session.id)).turns).toHaveLength(1);
  });
});

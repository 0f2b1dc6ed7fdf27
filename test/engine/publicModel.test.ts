import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import type { Branch, Session, Turn } from '../../src/index.js';
import { httpImageAddress, turnDoc, headDoc } from '../../src/present/index.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { requireBuiltCli, workspace } from '../cli/support/cli.js';
import { makeServer } from '../server/support.js';
import { testImage } from '../support/images.js';

/** What the store keeps for itself: none of it may reach an embedder. */
const INTERNAL = ['leaseOwner', 'leaseExpiresAt', 'providerHandle', 'submitAttemptedAt', 'segmentId'];

function engine() {
  return new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [createLocalProvider()] });
}

function expectPublicTurn(turn: Turn) {
  for (const field of INTERNAL) expect(Object.keys(turn), `${turn.id} shows ${field}`).not.toContain(field);
  for (const output of turn.outputs) expect(Object.keys(output)).not.toContain('turnId');
}

describe('the public model', () => {
  it('every turn the engine hands out carries no lease, handle or submit mark, at runtime too', async () => {
    const e = engine();
    const session = await e.startSession({ image: { bytes: await testImage() } });
    const handle = await e.startEdit(session.id, 'make it red', { seed: 1, num_images: 2 });
    const first = await handle.result();
    const second = await e.edit(session.id, 'make it night', { seed: 2 });
    const tree = await e.tree(session.id);
    const all: Turn[] = [
      handle.turn,
      first,
      second,
      await e.getTurn(second.id),
      (await e.head(session.id))!,
      await e.pick(first.id, 1),
      await e.resolveTurn(session.id, 'HEAD~1'),
      ...(await e.path(second.id)),
      ...(await e.children(first.id)),
      ...tree.turns,
    ];
    for (const turn of all) expectPublicTurn(turn);
    // The store still has them: they are hidden, not lost.
    expect(await e.store.getTurn(second.id)).toHaveProperty('leaseOwner', null);
    expect(Object.keys(tree.session).sort()).toEqual(['budgetMicros', 'createdAt', 'defaultEndpoint', 'defaultParams', 'headRef', 'headTurnId', 'id', 'owner', 'quality', 'redoStack', 'title', 'updatedAt']);
    expect(tree.branches).toEqual([{ sessionId: session.id, name: 'main', turnId: second.id, createdAt: expect.any(Date) }]);
  });

  it('params are typed from the Kontext schema; rows are not the public types', () => {
    expectTypeOf<Turn['params']['seed']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Turn['params']['guidance_scale']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Session['defaultParams']['num_images']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Turn>().not.toHaveProperty('leaseOwner');
    expectTypeOf<Turn>().not.toHaveProperty('providerHandle');
    expectTypeOf<Branch>().toHaveProperty('turnId');
    expectTypeOf<SessionEngine['getTurn']>().returns.resolves.toEqualTypeOf<Turn>();
    expectTypeOf<SessionEngine['undo']>().returns.resolves.toEqualTypeOf<Session>();
  });
});

describe('one presenter', () => {
  it('the HTTP API answers a turn and a session exactly as the presenter writes them', async () => {
    const e = engine();
    const { app } = makeServer(e);
    const session = await e.startSession({ image: { bytes: await testImage() } });
    const turn = await e.edit(session.id, 'make it red', { seed: 3 });
    const http = await (await app.request(`/sessions/${session.id}/turns/${turn.id}`)).json();
    expect(http).toEqual(JSON.parse(JSON.stringify(turnDoc(await e.getTurn(turn.id), httpImageAddress))));
    const detail = await (await app.request(`/sessions/${session.id}`)).json();
    expect(detail).toEqual(JSON.parse(JSON.stringify(headDoc(await e.getSession(session.id), await e.head(session.id), httpImageAddress))));
  });

  it('the CLI prints the same document with --json, each image addressed by its archived file', async () => {
    requireBuiltCli();
    const ws = await workspace();
    try {
      await ws.json(['new', ws.image]);
      const { turn } = await ws.json<{ turn: { id: string } }>(['edit', 'make it red', '--seed', '4']);
      const shown = await ws.json<{ turn: unknown }>(['show', turn.id]);
      const store = SessionStore.open(ws.db);
      try {
        const blobs = new FileBlobStore(join(ws.dir, 'data', 'blobs'));
        const e = new SessionEngine({ store, blobs, providers: [createLocalProvider()] });
        const expected = turnDoc(await e.getTurn(turn.id), (hash) => blobs.localPath(hash)!);
        expect(shown.turn).toEqual(JSON.parse(JSON.stringify(expected)));
        expect(expected.image).toMatch(/blobs/);
      } finally {
        store.close();
      }
    } finally {
      await ws.remove();
    }
  }, 30_000);
});

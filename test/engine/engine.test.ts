import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { BudgetExceededError, CancelledError, ConflictError, NotFoundError, ValidationError } from '../../src/errors/index.js';
import type { Provider } from '../../src/providers/Provider.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { countingProvider } from '../support/countingProvider.js';
import { testImage } from '../support/images.js';

function makeEngine(options: { maxInFlight?: number; delayMs?: number } = {}) {
  const store = SessionStore.inMemory();
  const blobs = new MemoryBlobStore();
  const provider = countingProvider(createLocalProvider(options.delayMs ? { delayMs: options.delayMs } : {}));
  const engine = new SessionEngine({ store, blobs, providers: [provider], maxInFlight: options.maxInFlight });
  return { engine, store, blobs, provider };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function startedSession(engine: SessionEngine) {
  return engine.startSession({ image: { bytes: await testImage() }, title: 'test' });
}

describe('chaining', () => {
  it("sends each turn's parent's picked output as its image", async () => {
    const { engine, provider } = makeEngine();
    const session = await startedSession(engine);
    const first = await engine.edit(session.id, 'make it red', { seed: 1 });
    const second = await engine.edit(session.id, 'make it night', { seed: 2 });
    expect(first.status).toBe('succeeded');
    expect(second.status).toBe('succeeded');
    expect(second.parentId).toBe(first.id);
    expect(second.inputBlob).toBe(first.outputs[0]!.blobHash);
    // What the provider received as image_url for turn 2 is turn 1's output: the provider's own
    // URL for it while that still serves (the local provider keeps its outputs in memory).
    const sent = provider.submissions[1]!.input.image_url as string;
    expect(sent).toBe(first.outputs[0]!.providerUrl);
    expect(second.params.image_url).toBe(sent);
    expect(second.params.prompt).toBe('make it night');
    expect(second.seedRequested).toBe(2);
    expect(second.seedUsed).toBe(2);
    // A finished turn is nobody's to run: its final write let go of the lease (kept in the store, not shown).
    const rows = [await engine.store.getTurn(first.id), await engine.store.getTurn(second.id)];
    expect(rows.map((r) => [r.leaseOwner, r.leaseExpiresAt])).toEqual([[null, null], [null, null]]);
  });

  it('sends the archived bytes when the provider no longer has its URL (e.g. after a restart)', async () => {
    const store = SessionStore.inMemory();
    const blobs = new MemoryBlobStore();
    const before = new SessionEngine({ store, blobs, providers: [createLocalProvider()] });
    const session = await before.startSession({ image: { bytes: await testImage() } });
    const first = await before.edit(session.id, 'make it red', { seed: 1 });
    await before.close();
    // A new process: a new provider that never handed out turn 1's URL.
    const provider = countingProvider(createLocalProvider());
    const after = new SessionEngine({ store, blobs, providers: [provider] });
    const second = await after.edit(session.id, 'make it night', { seed: 2 });
    // The local provider took the archived bytes and holds them under a URL named by their hash
    // (fal would get them inline or uploaded: see falEngine.test.ts).
    const sent = provider.submissions[0]!.input.image_url as string;
    expect(sent).not.toBe(first.outputs[0]!.providerUrl);
    expect(sent).toMatch(new RegExp(`^local://input/${first.outputs[0]!.blobHash}\\.`));
    const sentBytes = Buffer.concat(await collect((await provider.download(sent)).body));
    expect(sentBytes.equals(await blobs.get(first.outputs[0]!.blobHash))).toBe(true);
    expect(second.status).toBe('succeeded');
    expect(second.params.image_url).toBe(sent);
  });

  it("stores a local turn's job handle without the image in it, and a new process resumes the turn from the archive", async () => {
    const store = SessionStore.inMemory();
    const blobs = new MemoryBlobStore();
    const photo = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).png().toBuffer();
    // The first process submits, then dies while the job runs: its wait never comes back.
    const local = createLocalProvider();
    const dying: Provider = { ...local, name: local.name, wait: () => new Promise(() => undefined) };
    const before = new SessionEngine({ store, blobs, providers: [dying] });
    const session = await before.startSession({ image: { bytes: photo } });
    const turn = await before.beginEdit(session.id, 'make it night', { seed: 1 });
    void before.finish(turn);
    await vi.waitFor(async () => expect((await store.getTurn(turn.id)).status).toBe('submitted'));
    const submitted = await store.getTurn(turn.id);
    expect(photo.byteLength).toBeGreaterThan(300_000);
    expect(JSON.stringify(submitted.providerHandle).length).toBeLessThan(2048);
    // Its lease runs out, as a dead process's does.
    await store.patchTurn(turn.id, { leaseOwner: 'gone:1:engine', leaseExpiresAt: new Date(Date.now() - 1000) });

    // A new process, a new local provider: the local:// input URL died with the first one.
    const after = new SessionEngine({ store, blobs, providers: [createLocalProvider()] });
    const {
      resumed: [resumed],
    } = await after.resume({ sessionId: session.id });
    expect(resumed).toMatchObject({ id: turn.id, status: 'succeeded', requestId: submitted.requestId });
    const output = await blobs.get(resumed!.outputs[0]!.blobHash);
    expect((await sharp(output).metadata()).width).toBe(400);
    await after.close();
  });

  it('continues from the picked candidate when num_images > 1', async () => {
    const { engine } = makeEngine();
    const session = await startedSession(engine);
    const multi = await engine.edit(session.id, 'make it blue', { num_images: 3, seed: 5 });
    expect(multi.outputs).toHaveLength(3);
    await engine.pick(multi.id, 2);
    const next = await engine.edit(session.id, 'blur');
    expect(next.inputBlob).toBe(multi.outputs[2]!.blobHash);
    await expect(engine.pick(multi.id, 3)).rejects.toThrow('allowed: 0 to 2');
    const viaOption = await engine.edit(session.id, 'flip', {}, { from: multi.id, candidate: 1 });
    expect(viaOption.inputBlob).toBe(multi.outputs[1]!.blobHash);
  });

  it('a follow-up started while the previous turn runs continues from its result', async () => {
    const { engine } = makeEngine({ delayMs: 50 });
    const session = await startedSession(engine);
    const first = engine.edit(session.id, 'make it red', { seed: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const second = await engine.edit(session.id, 'make it night', { seed: 2 });
    const done = await first;
    expect(second.parentId).toBe(done.id);
    expect(second.inputBlob).toBe(done.outputs[0]!.blobHash);
  });
});

describe('archiving outputs', () => {
  it('reads the dimensions from the bytes when the provider gives none, and records an image used twice once', async () => {
    const store = SessionStore.inMemory();
    const blobs = new MemoryBlobStore();
    const local = createLocalProvider();
    // The same image listed twice, without width or height: what a terse provider may answer.
    const terse: Provider = {
      ...local,
      wait: async (endpointId, job, options) => {
        const output = await local.wait(endpointId, job, options);
        const { url, content_type } = output.images[0]!;
        return { ...output, images: [{ url, content_type }, { url, content_type }], has_nsfw_concepts: [false, false] };
      },
    };
    const engine = new SessionEngine({ store, blobs, providers: [terse] });
    const session = await startedSession(engine);
    const turn = await engine.edit(session.id, 'make it red', { seed: 3 });
    expect(turn.status).toBe('succeeded');
    const bytes = await blobs.get(turn.outputs[0]!.blobHash);
    const { width, height } = await sharp(bytes).metadata();
    expect(turn.outputs.map((o) => [o.index, o.blobHash, o.width, o.height])).toEqual([
      [0, turn.outputs[0]!.blobHash, width, height],
      [1, turn.outputs[0]!.blobHash, width, height],
    ]);
    expect(await store.findBlob(turn.outputs[0]!.blobHash)).toMatchObject({ width, height, size: bytes.length });
  });
});

describe('a turn changed by someone else between being written and being run', () => {
  it('is not sent when it was cancelled meanwhile', async () => {
    const { engine, store, provider } = makeEngine();
    const session = await startedSession(engine);
    const turn = await engine.beginEdit(session.id, 'make it red', { seed: 1 });
    // Another process cancels it before this one runs it.
    await store.transitionTurn(turn.id, 'cancelled', { finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null });
    const finished = await engine.finish(turn);
    expect(finished).toMatchObject({ status: 'cancelled', requestId: null });
    expect((await store.getTurn(turn.id)).submitAttemptedAt).toBeNull();
    expect(provider.submissions).toHaveLength(0);
  });

  it('is not sent when another process holds it now, and is waited for instead', async () => {
    const { engine, store, provider } = makeEngine();
    const session = await startedSession(engine);
    const turn = await engine.beginEdit(session.id, 'make it red', { seed: 1 });
    // Its lease passed to another live process (say this one stalled past its lease).
    await store.patchTurn(turn.id, { leaseOwner: 'elsewhere:1:engine', leaseExpiresAt: new Date(Date.now() + 60_000) });
    await expect(engine.finish(turn, AbortSignal.timeout(300))).rejects.toBeInstanceOf(CancelledError);
    expect(await store.getTurn(turn.id)).toMatchObject({ status: 'pending', leaseOwner: 'elsewhere:1:engine', submitAttemptedAt: null });
    expect(provider.submissions).toHaveLength(0);
  });
});

describe('session defaults', () => {
  it('every turn inherits the session params unless it overrides them', async () => {
    const { engine, provider } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await testImage() }, params: { guidance_scale: 5, output_format: 'png' } });
    const inherited = await engine.edit(session.id, 'make it red', { seed: 1 });
    const overridden = await engine.edit(session.id, 'make it blue', { seed: 2, guidance_scale: 7 });
    expect(inherited.params).toMatchObject({ guidance_scale: 5, output_format: 'png', seed: 1 });
    expect(overridden.params).toMatchObject({ guidance_scale: 7, output_format: 'png', seed: 2 });
    expect(provider.submissions.map((s) => s.input.guidance_scale)).toEqual([5, 7]);
    expect(inherited.outputs[0]!.contentType).toBe('image/png');
  });
});

describe('branching and navigation', () => {
  it('an edit from a middle turn leaves the old branch intact', async () => {
    const { engine, store } = makeEngine();
    const session = await startedSession(engine);
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    const c = await engine.edit(session.id, 'blur', { seed: 3 });
    const before = await engine.path(c.id);
    const alt = await engine.edit(session.id, 'make it winter', { seed: 4 }, { from: a.id });
    expect(alt.parentId).toBe(a.id);
    expect((await engine.path(c.id)).map((t) => [t.id, t.status, t.outputs[0]?.blobHash])).toEqual(before.map((t) => [t.id, t.status, t.outputs[0]?.blobHash]));
    expect((await engine.children(a.id)).map((t) => t.id).sort()).toEqual([b.id, alt.id].sort());
    expect((await engine.siblings(alt.id)).map((t) => t.id)).toEqual([b.id]);
    expect((await store.getSession(session.id)).headTurnId).toBe(alt.id);
    // main stayed on the old tip; HEAD is detached on the new branch.
    expect((await store.findRef(session.id, 'main'))!.turnId).toBe(c.id);
  });

  it('undo, redo and checkout move HEAD like git', async () => {
    const { engine } = makeEngine();
    const session = await startedSession(engine);
    const root = (await engine.head(session.id))!;
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    expect((await engine.undo(session.id)).headTurnId).toBe(a.id);
    expect((await engine.undo(session.id)).headTurnId).toBe(root.id);
    await expect(engine.undo(session.id)).rejects.toBeInstanceOf(ConflictError);
    expect((await engine.redo(session.id)).headTurnId).toBe(a.id);
    expect((await engine.redo(session.id)).headTurnId).toBe(b.id);
    await expect(engine.redo(session.id)).rejects.toThrow('nothing to redo');
    // An edit after undo starts a new line and clears the redo stack.
    await engine.undo(session.id);
    const c = await engine.edit(session.id, 'blur', { seed: 3 });
    expect(c.parentId).toBe(a.id);
    await expect(engine.redo(session.id)).rejects.toBeInstanceOf(ConflictError);
    // checkout by id prefix, by branch and by HEAD~n
    expect((await engine.checkout(session.id, b.id.slice(0, 6))).headTurnId).toBe(b.id);
    expect((await engine.checkout(session.id, 'HEAD~2')).headTurnId).toBe(root.id);
    await expect(engine.checkout(session.id, 'nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('an attached branch follows edits from its tip; branches can be created, renamed, deleted', async () => {
    const { engine, store } = makeEngine();
    const session = await startedSession(engine);
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    expect((await store.findRef(session.id, 'main'))!.turnId).toBe(a.id);
    await engine.createBranch(session.id, 'idea', 'HEAD');
    await engine.checkout(session.id, 'idea');
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    expect((await store.findRef(session.id, 'idea'))!.turnId).toBe(b.id);
    expect((await store.findRef(session.id, 'main'))!.turnId).toBe(a.id);
    await engine.renameBranch(session.id, 'idea', 'night');
    expect((await store.getSession(session.id)).headRef).toBe('night');
    await engine.deleteBranch(session.id, 'night');
    expect((await engine.listBranches(session.id)).map((r) => r.name)).toEqual(['main']);
    expect((await store.getSession(session.id)).headRef).toBeNull();
  });
});

describe('replay', () => {
  it('an exact replay of a 20-turn path makes 0 provider calls and shares every image', async () => {
    const { engine, provider } = makeEngine();
    const session = await startedSession(engine);
    for (let i = 0; i < 20; i++) await engine.edit(session.id, i % 2 ? 'make it red' : 'make it blue', { seed: i });
    const submitted = provider.submissions.length;
    const report = await engine.replay(session.id, { mode: 'exact' });
    expect(provider.submissions.length).toBe(submitted);
    expect(report.providerCalls).toBe(0);
    expect(report.steps).toHaveLength(20);
    expect(report.costMicros).toBe(0);
    const original = await engine.path(report.steps[19]!.original);
    const replayed = await engine.path(report.tip);
    expect(replayed.map((t) => t.outputs[0]?.blobHash)).toEqual(original.map((t) => t.outputs[0]?.blobHash));
    expect(replayed.slice(1).every((t) => t.originKind === 'replay-exact')).toBe(true);
    expect((await engine.head(session.id))!.id).toBe(report.tip);
  });

  it('an exact replay of the root alone puts the branch, and HEAD, on the root', async () => {
    const { engine } = makeEngine();
    const session = await startedSession(engine);
    await engine.edit(session.id, 'make it red', { seed: 1 });
    const root = (await engine.resolveTurn(session.id, 'HEAD~1')).id;
    const report = await engine.replay(session.id, { to: root, mode: 'exact', branch: 'from-root' });
    expect(report).toMatchObject({ tip: root, steps: [], branch: 'from-root' });
    expect(await engine.getSession(session.id)).toMatchObject({ headTurnId: root, headRef: 'from-root' });
    expect((await engine.listBranches(session.id)).find((b) => b.name === 'from-root')?.turnId).toBe(root);
  });

  it('a fresh replay sends the recorded seeds again and reports fidelity', async () => {
    const { engine, provider } = makeEngine();
    const session = await startedSession(engine);
    await engine.edit(session.id, 'make it red'); // unseeded: the provider picks one
    await engine.edit(session.id, 'make it night', { seed: 77 });
    const path = await engine.path((await engine.head(session.id))!.id);
    const n = provider.submissions.length;
    const report = await engine.replay(session.id, { mode: 'fresh', branch: 'again' });
    const resent = provider.submissions.slice(n);
    expect(resent.map((s) => s.input.seed)).toEqual([path[1]!.seedUsed, 77]);
    expect(report.branch).toBe('again');
    expect(report.providerCalls).toBe(2);
    // The local provider is deterministic: same image, prompt and seed give the same bytes.
    expect(report.steps.map((s) => s.fidelity?.meanAbsDiff)).toEqual([0, 0]);
  });
});

describe('what-if', () => {
  it('rebuilds a 3-level subtree with a side branch in the same shape on the changed turn', async () => {
    const { engine, store } = makeEngine();
    const session = await startedSession(engine);
    const a = await engine.edit(session.id, 'make it red', { seed: 1 });
    const b = await engine.edit(session.id, 'make it night', { seed: 2 });
    const c = await engine.edit(session.id, 'blur', { seed: 3 });
    const d = await engine.edit(session.id, 'flip', { seed: 4 });
    const side = await engine.edit(session.id, 'sharpen', { seed: 5 }, { from: c.id });
    await engine.createBranch(session.id, 'side', side.id);

    const dry = await engine.whatIf(session.id, b.id, { prompt: 'make it winter' }, { dryRun: true });
    expect(dry.plan.map((p) => p.original).sort()).toEqual([b.id, c.id, d.id, side.id].sort());
    expect((await store.listTurns(session.id)).length).toBe(6);

    const result = await engine.whatIf(session.id, b.id, { prompt: 'make it winter' });
    const m = result.mapping;
    const turn = (id: string) => store.getTurn(id);
    expect((await turn(m[b.id]!)).parentId).toBe(a.id);
    expect((await turn(m[b.id]!)).prompt).toBe('make it winter');
    expect((await turn(m[c.id]!)).parentId).toBe(m[b.id]);
    expect((await turn(m[d.id]!)).parentId).toBe(m[c.id]);
    expect((await turn(m[side.id]!)).parentId).toBe(m[c.id]);
    expect((await turn(m[side.id]!)).prompt).toBe('sharpen');
    expect((await turn(m[d.id]!)).seedUsed).toBe(4);
    expect(result.branches).toEqual({ main: 'main-whatif', side: 'side-whatif' });
    expect((await store.findRef(session.id, 'side-whatif'))!.turnId).toBe(m[side.id]);
    // The original subtree is untouched.
    expect((await engine.path(d.id)).map((t) => t.id)).toEqual([(await engine.path(a.id))[0]!.id, a.id, b.id, c.id, d.id]);
  });
});

describe('memo, budget, cost and failure', () => {
  it('a seeded turn equal to an earlier one reuses its outputs without a provider call', async () => {
    const { engine, provider } = makeEngine();
    const session = await startedSession(engine);
    const root = (await engine.head(session.id))!;
    const first = await engine.edit(session.id, 'make it red', { seed: 9 });
    const n = provider.submissions.length;
    const again = await engine.edit(session.id, 'make it red', { seed: 9 }, { from: root.id });
    expect(provider.submissions.length).toBe(n);
    expect(again.originKind).toBe('memo');
    expect(again.originTurnId).toBe(first.id);
    expect(again.outputs[0]!.blobHash).toBe(first.outputs[0]!.blobHash);
    expect(again.costMicros).toBe(0);
    // Unseeded turns are never memoized unless asked.
    await engine.edit(session.id, 'make it red', {}, { from: root.id });
    expect(provider.submissions.length).toBe(n + 1);
  });

  it('refuses a turn over budget before anything is written or sent', async () => {
    const store = SessionStore.inMemory();
    const blobs = new MemoryBlobStore();
    const local = countingProvider(createLocalProvider());
    const { EndpointRegistry } = await import('../../src/kontext/endpoints.js');
    const endpoints = new EndpointRegistry().withPrices({ 'local/kontext-sim': 30_000 });
    const engine = new SessionEngine({ store, blobs, providers: [local], endpoints });
    const session = await engine.startSession({ image: { bytes: await testImage() }, budgetMicros: 100_000 });
    await engine.edit(session.id, 'make it red', { num_images: 2, seed: 1 });
    expect((await engine.cost(session.id)).totalMicros).toBe(60_000);
    const turnsBefore = (await store.listTurns(session.id)).length;
    const refused = engine.edit(session.id, 'make it blue', { num_images: 2, seed: 2 });
    await expect(refused).rejects.toBeInstanceOf(BudgetExceededError);
    expect((await store.listTurns(session.id)).length).toBe(turnsBefore);
    expect(local.submissions).toHaveLength(1);
    const ok = await engine.edit(session.id, 'make it blue', { seed: 2 });
    expect(ok.costMicros).toBe(30_000);
    const cost = await engine.cost(session.id);
    expect(cost.totalMicros).toBe(90_000);
    expect(cost.byBranch.main).toBe(90_000);
  });

  it('refuses bad params with every problem listed and leaves the store unchanged', async () => {
    const { engine, store, provider } = makeEngine();
    const session = await startedSession(engine);
    const before = await store.listTurns(session.id);
    const bad = engine.edit(session.id, 'x', { guidance_scale: 25, num_images: 9, safety_tolerance: 2 as unknown as '2' });
    await expect(bad).rejects.toBeInstanceOf(ValidationError);
    await expect(bad).rejects.toThrow(/guidance_scale: 25 is above the maximum 20.*num_images: 9 is above the maximum 4.*safety_tolerance/);
    await expect(engine.edit(session.id, '   ')).rejects.toThrow('prompt: must not be empty');
    expect(await store.listTurns(session.id)).toEqual(before);
    expect(provider.submissions).toHaveLength(0);
  });

  it('cancels a running turn', async () => {
    const { engine } = makeEngine({ delayMs: 2_000 });
    const session = await startedSession(engine);
    const turn = await engine.beginEdit(session.id, 'make it red', { seed: 1 });
    const running = engine.finish(turn);
    await new Promise((r) => setTimeout(r, 50));
    const cancelled = await engine.cancel(turn.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.errorCode).toBe('CANCELLED');
    expect((await running).status).toBe('cancelled');
    expect((await engine.store.getTurn(turn.id)).leaseOwner).toBeNull();
    // HEAD stepped back so the next edit continues from an image.
    const next = await engine.edit(session.id, 'make it blue', { seed: 2 });
    expect(next.status).toBe('succeeded');
    expect(next.parentId).toBe(turn.parentId);
  });
});

describe('concurrency', () => {
  it('50 concurrent edits over 10 sessions: no lost turn, valid parents, consistent HEADs', async () => {
    const { engine, store } = makeEngine({ maxInFlight: 4 });
    const sessions = await Promise.all(Array.from({ length: 10 }, () => startedSession(engine)));
    const roots = new Map<string, string>();
    for (const s of sessions) roots.set(s.id, s.headTurnId!);
    const edits = sessions.flatMap((s) =>
      Array.from({ length: 5 }, (_, i) => engine.edit(s.id, `make it ${['red', 'blue', 'green', 'night', 'bright'][i]}`, { seed: i }, { from: roots.get(s.id) })),
    );
    const results = await Promise.all(edits);
    expect(results.every((t) => t.status === 'succeeded')).toBe(true);
    for (const s of sessions) {
      const turns = await store.listTurns(s.id);
      expect(turns).toHaveLength(6);
      const ids = new Set(turns.map((t) => t.id));
      expect(turns.filter((t) => t.parentId !== null).every((t) => t.parentId === roots.get(s.id) && ids.has(t.parentId!))).toBe(true);
      const session = await store.getSession(s.id);
      // Writes to a session are serialized in call order, so HEAD is on that session's last edit.
      const last = results.filter((t) => t.sessionId === s.id).at(-1)!;
      expect(session.headTurnId).toBe(last.id);
    }
  });
});

describe('export', () => {
  it('leaves out which process held a turn (host name and pid), and imports unclaimed', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir, hostname } = await import('node:os');
    const { join } = await import('node:path');
    const { gunzipSync } = await import('node:zlib');
    const { readFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'kontext-export-'));
    try {
      const { engine, store } = makeEngine();
      const session = await startedSession(engine);
      const pending = await store.appendTurn({ sessionId: session.id, parentId: session.headTurnId, kind: 'edit', prompt: 'p' });
      expect(await store.claimTurn(pending.id, `${hostname()}:${process.pid}:abc`, 60_000)).toMatchObject({ leaseOwner: `${hostname()}:${process.pid}:abc` });
      const file = join(dir, 's.kontext');
      await engine.exportSession(session.id, file);
      expect(gunzipSync(readFileSync(file)).includes(`${hostname()}:${process.pid}`)).toBe(false);
      const other = makeEngine();
      await other.engine.importBundle(file);
      const imported = await other.store.getTurn(pending.id);
      expect(imported.leaseOwner).toBeNull();
      expect(imported.leaseExpiresAt).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

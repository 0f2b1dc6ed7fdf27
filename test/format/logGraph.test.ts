import { describe, expect, it } from 'vitest';
import { describeTurn, logGraph, logGraphBytes, type LogTurn } from '../../src/format/logGraph.js';
import type { RefRow, SessionRow } from '../../src/store/schema.js';

function turn(id: string, parentId: string | null, prompt: string | null, extra: Partial<LogTurn> = {}): LogTurn {
  return { id, parentId, kind: parentId === null ? 'source' : 'edit', status: 'succeeded', prompt, seedUsed: parentId === null ? null : 7, costMicros: 40_000, originKind: null, errorCode: null, ...extra };
}

function session(headTurnId: string, headRef: string | null): SessionRow {
  const now = new Date(0);
  return { id: 'S', title: 't', owner: null, headTurnId, headRef, redoStack: [], defaultEndpoint: 'local/kontext-sim', budgetMicros: null, createdAt: now, updatedAt: now } as unknown as SessionRow;
}

function ref(name: string, turnId: string): RefRow {
  return { sessionId: 'S', name, turnId, createdAt: new Date(0) };
}

// root ── a ── b ── c          (main)
//          ├── w1 ── w2        (winter, HEAD)
//          └── n1              (no branch)
const TREE = [
  turn('root0000', null, null),
  turn('aaaa0000', 'root0000', 'make it red'),
  turn('bbbb0000', 'aaaa0000', 'make it night'),
  turn('w1110000', 'aaaa0000', 'make it winter'),
  turn('n1110000', 'aaaa0000', 'add a moon', { status: 'failed', errorCode: 'provider_error' }),
  turn('cccc0000', 'bbbb0000', 'add stars'),
  turn('w2220000', 'w1110000', 'add snow'),
];
const REFS = [ref('main', 'cccc0000'), ref('winter', 'w2220000')];

/** Yields the turns once, as the store's row cursor does: a second pass would see nothing. */
function* cursor(turns: readonly LogTurn[]): Generator<LogTurn> {
  yield* turns;
}

describe('logGraph', () => {
  it('draws the tree newest child first, with a lane per branch and |/ where each forks', () => {
    const lines = logGraph(session('w2220000', 'winter'), cursor(TREE), REFS, { graph: true });
    expect(lines.map((l) => l.replace(/ {2}·.*$/, ''))).toEqual([
      '* n1110000 add a moon',
      '| * w2220000 (HEAD -> winter) add snow',
      '| * w1110000 make it winter',
      '| | * cccc0000 (main) add stars',
      '| | * bbbb0000 make it night',
      '| |/',
      '|/',
      '* aaaa0000 make it red',
      '* root0000 [source image]',
    ]);
    expect(lines[0]).toContain('· failed: provider_error');
  });

  it('gives the same lines for an array and for a one-pass cursor', () => {
    const s = session('cccc0000', 'main');
    expect(logGraph(s, cursor(TREE), REFS)).toEqual(logGraph(s, TREE, REFS));
  });

  it('shows only the path root → HEAD with headOnly, and a detached HEAD as HEAD', () => {
    const lines = logGraph(session('bbbb0000', null), cursor(TREE), REFS, { headOnly: true, graph: true });
    expect(lines.map((l) => l.slice(0, 10))).toEqual(['* bbbb0000', '* aaaa0000', '* root0000']);
    expect(lines[0]).toContain('(HEAD)');
  });

  it('without graph prints one line per turn, no lanes', () => {
    const lines = logGraph(session('w2220000', 'winter'), TREE, REFS, { graph: false });
    expect(lines).toHaveLength(TREE.length);
    expect(lines.every((l) => !l.startsWith('*') && !l.startsWith('|'))).toBe(true);
  });

  it('draws a turn whose parent is not among the turns as a root', () => {
    const lines = logGraph(session('cccc0000', null), [TREE[5]!, TREE[2]!], [], { graph: true });
    // cccc comes before its parent bbbb: both are roots, each on its own.
    expect(lines.map((l) => l.slice(0, 10))).toEqual(['* bbbb0000', '* cccc0000']);
  });

  it('keeps a 10,000-turn chain in order', () => {
    const chain: LogTurn[] = [turn('t0', null, null)];
    for (let i = 1; i < 10_000; i++) chain.push(turn(`t${i}`, `t${i - 1}`, `step ${i}`));
    const lines = logGraph(session('t9999', null), cursor(chain), [], { graph: true });
    expect(lines).toHaveLength(10_000);
    expect(lines[0]).toMatch(/^\* t9999 \(HEAD\) step 9999/);
    expect(lines.at(-1)).toBe('* t0 [source image]');
  });

  it('gives its text as UTF-8 bytes, every line ending in a newline, however long the line', () => {
    const moon = turn('u1110000', 'cccc0000', 'ajoute de la neige ❄ et une lune 🌙');
    const long = turn('l1110000', 'u1110000', `a long prompt ${'très '.repeat(200)}`); // > 512 bytes
    const bytes = logGraphBytes(session('l1110000', 'main'), cursor([...TREE, moon, long]), REFS, { graph: false });
    const lines = bytes.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => l.slice(0, 8))).toEqual(['n1110000', 'w2220000', 'w1110000', 'l1110000', 'u1110000', 'cccc0000', 'bbbb0000', 'aaaa0000', 'root0000']);
    expect(lines[3]).toBe(describeTurn(long, ['HEAD']));
    expect(lines[4]).toBe(describeTurn(moon, []));
    expect(lines[5]).toBe(describeTurn(TREE[5]!, ['main']));
    expect(logGraphBytes(session('x', null), [], []).length).toBe(0);
    expect(logGraph(session('x', null), [], [])).toEqual([]);
  });

  it('keeps each turn on one line: line breaks and escape sequences in a prompt show as a space', () => {
    const tree = [turn('root0000', null, null), turn('aaaa0000', 'root0000', 'make it night\nand add a moon'), turn('bbbb0000', 'aaaa0000', 'red \u001b[2J\u001b[31mtext\r\n\tend')];
    const lines = logGraph(session('bbbb0000', null), tree, [], { graph: true });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\* bbbb0000 \(HEAD\) red  \[2J \[31mtext end {2}·/);
    expect(lines[1]).toMatch(/^\* aaaa0000 make it night and add a moon {2}·/);
    expect(lines.join('')).not.toMatch(/[\u0000-\u001f]/);
  });

  it('describes a turn: labels, seed, cost, origin and a status other than succeeded', () => {
    expect(describeTurn(turn('abcdefghij', 'x', 'p', { originKind: 'replay-fresh', status: 'running' }), ['main'], 4)).toBe('abcd (main) p  · seed 7 · $0.04 · replay-fresh · running');
  });
});

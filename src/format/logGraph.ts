import type { Branch, Session, Turn } from '../model/index.js';
import { driftFigure } from '../quality/describe.js';
import { oneLine } from './oneLine.js';
import { Utf8Builder } from './Utf8Builder.js';

type HeadOf = Pick<Session, 'headTurnId' | 'headRef'>;
type BranchAt = Pick<Branch, 'name' | 'turnId'>;

/**
 * What `log` shows of a turn: the columns a query for a 10,000-turn tree has to read.
 * Turns and store rows are accepted as they are.
 */
export type LogTurn = Pick<Turn, 'id' | 'parentId' | 'kind' | 'status' | 'prompt' | 'seedUsed' | 'costMicros' | 'originKind' | 'errorCode'> &
  Partial<Pick<Turn, 'drift' | 'pinned'>> & {
    /** A store summary row says it this way (`pinned` is the public Turn's). */
    pinnedAt?: Date | null;
  };

export interface LogGraphOptions {
  /** Characters of the turn id shown. Default 8. */
  idLength?: number;
  /** Only the path root → HEAD instead of the whole tree. */
  headOnly?: boolean;
  /** Draw lanes (`*`, `|`, `|/`) like `git log --graph`. Default true. */
  graph?: boolean;
}

export function formatMicros(micros: number): string {
  return `$${(micros / 1e6).toFixed(micros % 10_000 === 0 ? 2 : 4)}`;
}

/** One line describing a turn: id, refs, prompt, seed, cost and status. */
export function describeTurn(turn: LogTurn, labels: readonly string[], idLength = 8): string {
  // Concatenated rather than joined from arrays: `log` calls this for every turn of a
  // 10,000-turn tree, where short-lived arrays cost more than the text itself.
  let line = turn.id.slice(0, idLength);
  if (labels.length > 0) line += ` (${labels.join(', ')})`;
  const prompt = oneLine(turn.prompt ?? '');
  line += ` ${turn.kind === 'source' ? '[source image]' : turn.kind === 'text' ? `[text] ${prompt}` : prompt}`;
  let facts = '';
  if (turn.seedUsed !== null) facts += ` · seed ${turn.seedUsed}`;
  if (turn.kind !== 'source') facts += ` · ${formatMicros(turn.costMicros)}`;
  if (turn.originKind) facts += ` · ${turn.originKind}`;
  if (turn.drift) facts += ` · ${driftFigure(turn.drift)}`;
  if (turn.pinned || (turn.pinnedAt !== undefined && turn.pinnedAt !== null)) facts += ' · pinned';
  if (turn.status !== 'succeeded') facts += ` · ${turn.status}${turn.errorCode ? `: ${turn.errorCode}` : ''}`;
  // `id prompt  · seed 7 · $0.04`: the first fact is set off by two spaces.
  return facts === '' ? line : `${line} ${facts}`;
}

const NO_LABELS: readonly string[] = [];

/**
 * Renders a session's tree newest first, like `git log --graph`: each branch gets a lane,
 * and `|/` shows where a branch forks off its parent turn. One string per line; for the
 * same text as bytes ready to print, see `logGraphBytes`.
 */
export function logGraph(session: HeadOf, turns: Iterable<LogTurn>, refs: readonly BranchAt[], options: LogGraphOptions = {}): string[] {
  const text = logGraphBytes(session, turns, refs, options).toString('utf8');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

/**
 * The lines of `logGraph` as UTF-8 bytes, each ending in `\n`: what `kontext log` prints.
 *
 * `turns` come parents before children, siblings oldest first (a turn whose parent has not
 * come is drawn as a root), from any iterable: the store's row cursor is read as the lines
 * are made, so a 10,000-turn tree is never held as rows, and its lines wait for their order
 * as bytes (Utf8Builder.ts says why) rather than as strings.
 */
export function logGraphBytes(session: HeadOf, turns: Iterable<LogTurn>, refs: readonly BranchAt[], options: LogGraphOptions = {}): Buffer {
  const idLength = options.idLength ?? 8;
  const graph = options.graph ?? true;
  const labels = new Map<string, string[]>();
  for (const ref of refs) {
    const name = session.headRef === ref.name && session.headTurnId === ref.turnId ? `HEAD -> ${ref.name}` : ref.name;
    labels.set(ref.turnId, [...(labels.get(ref.turnId) ?? []), name]);
  }
  if (session.headTurnId && !(session.headRef && labels.get(session.headTurnId)?.some((l) => l.startsWith('HEAD')))) {
    labels.set(session.headTurnId, ['HEAD', ...(labels.get(session.headTurnId) ?? [])]);
  }

  // The tree as int arrays over the turns' indexes, filled as the turns come in: each id is
  // hashed once, and each turn's text is bytes `textEnd[i - 1]` to `textEnd[i]` of `texts`.
  const indexOf = new Map<string, number>();
  const texts = new Utf8Builder();
  const textEnd: number[] = [];
  const parentOf: number[] = []; // -1: a root, or its parent is not shown
  for (const turn of options.headOnly && session.headTurnId ? pathTo(session.headTurnId, turns) : turns) {
    parentOf.push((turn.parentId === null ? undefined : indexOf.get(turn.parentId)) ?? -1);
    indexOf.set(turn.id, textEnd.length);
    texts.text(describeTurn(turn, labels.get(turn.id) ?? NO_LABELS, idLength));
    textEnd.push(texts.length);
  }
  const n = textEnd.length;
  const lastChild = new Int32Array(n).fill(-1);
  const prevSibling = new Int32Array(n).fill(-1);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const parent = parentOf[i]!;
    if (parent === -1) {
      roots.push(i);
      continue;
    }
    prevSibling[i] = lastChild[parent]!;
    lastChild[parent] = i;
  }

  // Pre-order walk (older children first), reversed: children before parents, newest branch on top.
  const order = new Int32Array(n);
  let placed = n;
  const stack = roots.reverse();
  while (stack.length > 0) {
    const i = stack.pop()!;
    order[--placed] = i;
    for (let child = lastChild[i]!; child !== -1; child = prevSibling[child]!) stack.push(child);
  }

  // The texts, a newline each, and with graph a `* ` each at the least.
  const out = new Utf8Builder(texts.length + n * (graph ? 3 : 1));
  const lanes: number[] = []; // each lane waits for the turn at this index to be printed
  for (let o = placed; o < n; o++) {
    const i = order[o]!;
    if (graph) {
      let col = -1;
      let forks: number[] | undefined;
      for (let lane = 0; lane < lanes.length; lane++) {
        if (lanes[lane] !== i) continue;
        if (col === -1) col = lane;
        else (forks ??= []).push(lane);
      }
      if (col === -1) col = lanes.push(i) - 1;
      // Extra lanes waiting for this turn are branches forking here: fold them in, right to left.
      if (forks) {
        for (let f = forks.length - 1; f >= 0; f--) {
          const lane = forks[f]!;
          out.repeat('| ', lane - 1);
          out.text('|/');
          out.repeat(' /', lanes.length - lane - 1);
          out.byte(NEWLINE);
          lanes.splice(lane, 1);
        }
      }
      out.repeat('| ', col);
      out.byte(STAR);
      out.repeat(' |', lanes.length - col - 1);
      out.byte(SPACE);
      if (parentOf[i] !== -1) lanes[col] = parentOf[i]!;
      else lanes.splice(col, 1);
    }
    out.copyFrom(texts, i === 0 ? 0 : textEnd[i - 1]!, textEnd[i]!);
    out.byte(NEWLINE);
  }
  return out.bytes();
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
const STAR = 0x2a;

/** The turns on the path root → `headTurnId`, in that order. */
function pathTo(headTurnId: string, turns: Iterable<LogTurn>): LogTurn[] {
  const byId = new Map<string, LogTurn>();
  for (const t of turns) byId.set(t.id, t);
  const path: LogTurn[] = [];
  for (let t = byId.get(headTurnId); t; t = t.parentId ? byId.get(t.parentId) : undefined) path.push(t);
  return path.reverse();
}

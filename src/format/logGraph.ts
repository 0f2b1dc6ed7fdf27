import type { RefRow, SessionRow, TurnRow } from '../store/schema.js';

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
export function describeTurn(turn: TurnRow, labels: readonly string[], idLength = 8): string {
  const parts = [turn.id.slice(0, idLength)];
  if (labels.length > 0) parts.push(`(${labels.join(', ')})`);
  parts.push(turn.kind === 'source' ? '[source image]' : turn.kind === 'text' ? `[text] ${turn.prompt ?? ''}` : (turn.prompt ?? ''));
  const facts: string[] = [];
  if (turn.seedUsed !== null) facts.push(`seed ${turn.seedUsed}`);
  if (turn.kind !== 'source') facts.push(formatMicros(turn.costMicros));
  if (turn.originKind) facts.push(turn.originKind);
  if (turn.status !== 'succeeded') facts.push(turn.status + (turn.errorCode ? `: ${turn.errorCode}` : ''));
  return facts.length > 0 ? `${parts.join(' ')}  · ${facts.join(' · ')}` : parts.join(' ');
}

/**
 * Renders a session's tree newest first, like `git log --graph`: each branch gets a lane,
 * and `|/` shows where a branch forks off its parent turn.
 */
export function logGraph(session: SessionRow, turns: readonly TurnRow[], refs: readonly RefRow[], options: LogGraphOptions = {}): string[] {
  const idLength = options.idLength ?? 8;
  const graph = options.graph ?? true;
  const byId = new Map(turns.map((t) => [t.id, t]));
  let shown: TurnRow[] = [...turns];
  if (options.headOnly && session.headTurnId) {
    shown = [];
    for (let t = byId.get(session.headTurnId); t; t = t.parentId ? byId.get(t.parentId) : undefined) shown.push(t);
    shown.reverse();
  }
  const labels = new Map<string, string[]>();
  for (const ref of refs) {
    const name = session.headRef === ref.name && session.headTurnId === ref.turnId ? `HEAD -> ${ref.name}` : ref.name;
    labels.set(ref.turnId, [...(labels.get(ref.turnId) ?? []), name]);
  }
  if (session.headTurnId && !(session.headRef && labels.get(session.headTurnId)?.some((l) => l.startsWith('HEAD')))) {
    labels.set(session.headTurnId, ['HEAD', ...(labels.get(session.headTurnId) ?? [])]);
  }

  // Pre-order walk (older children first), reversed: children before parents, newest branch on top.
  const children = new Map<string | null, TurnRow[]>();
  const shownIds = new Set(shown.map((t) => t.id));
  for (const t of shown) {
    const parent = t.parentId && shownIds.has(t.parentId) ? t.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), t]);
  }
  const order: TurnRow[] = [];
  const stack = [...(children.get(null) ?? [])].reverse();
  while (stack.length > 0) {
    const t = stack.pop()!;
    order.push(t);
    const kids = children.get(t.id);
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  order.reverse();

  const lines: string[] = [];
  const lanes: (string | null)[] = []; // each lane waits for this turn id to be printed
  for (const turn of order) {
    const text = describeTurn(turn, labels.get(turn.id) ?? [], idLength);
    if (!graph) {
      lines.push(text);
      continue;
    }
    let waiting = lanes.flatMap((id, i) => (id === turn.id ? [i] : []));
    if (waiting.length === 0) {
      lanes.push(turn.id);
      waiting = [lanes.length - 1];
    }
    // Extra lanes waiting for this turn are branches forking here: fold them in, right to left.
    for (const lane of waiting.slice(1).reverse()) {
      lines.push(
        lanes
          .map((_, i) => (i < lane ? '|' : i === lane ? '/' : '/'))
          .join(' ')
          .replace(/\| \//, '|/'),
      );
      lanes.splice(lane, 1);
    }
    const col = waiting[0]!;
    lines.push(`${lanes.map((_, i) => (i === col ? '*' : '|')).join(' ')} ${text}`);
    if (turn.parentId && shownIds.has(turn.parentId)) lanes[col] = turn.parentId;
    else lanes.splice(col, 1);
  }
  return lines;
}

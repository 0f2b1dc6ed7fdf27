import { ValidationError } from '../errors/ValidationError.js';
import { KontextParamsOverrides } from '../kontext/schemas.js';
import { parseOrThrow } from '../kontext/validation.js';
import type { TurnRow } from '../store/schema.js';
import { rerunTurn } from './replay.js';
import type { SessionEngine } from './SessionEngine.js';

export interface WhatIfChange {
  prompt?: string;
  params?: KontextParamsOverrides;
}

export interface WhatIfPlanStep {
  original: string;
  /** The original turn's parent (the changed turn hangs off the same parent). */
  parent: string;
  prompt: string;
  endpointId: string;
  estimatedCostMicros: number;
}

export interface WhatIfResult {
  dryRun: boolean;
  plan: WhatIfPlanStep[];
  estimatedCostMicros: number;
  /** original turn id → new turn id (empty for a dry run). */
  mapping: Record<string, string>;
  /** Branch copies made: original name → new name. */
  branches: Record<string, string>;
  failed: string[];
}

/**
 * Changes one turn's prompt or params and re-applies its whole subtree on top of the
 * changed turn, like a git rebase: same shape, same prompts and recorded seeds, branches
 * copied with a `-whatif` suffix. A dry run returns the plan and its cost and writes nothing.
 */
export async function whatIf(
  engine: SessionEngine,
  sessionId: string,
  turnRef: string,
  change: WhatIfChange,
  options: { dryRun?: boolean; signal?: AbortSignal } = {},
): Promise<WhatIfResult> {
  if (change.prompt === undefined && change.params === undefined) {
    throw new ValidationError([{ field: 'prompt', message: 'give a new prompt or params for the what-if' }]);
  }
  const overrides = change.params ? parseOrThrow(KontextParamsOverrides, change.params, 'params') : {};
  const root = await engine.resolveTurn(sessionId, turnRef);
  if (root.parentId === null) throw new ValidationError([{ field: 'turn', message: `turn '${root.id}' is the session's root; a what-if changes an edit turn` }]);
  const subtree = await engine.store.subtree(root.id);

  const plan: WhatIfPlanStep[] = subtree.map((t) => {
    const endpoint = engine.endpoints.get(t.endpointId ?? engine.defaultEndpoint);
    const isRoot = t.id === root.id;
    const { image_url: _i, prompt: _p, ...recorded } = t.params;
    const params = isRoot ? { ...recorded, ...overrides } : recorded;
    const prompt = isRoot && change.prompt !== undefined ? change.prompt : (t.prompt ?? '');
    // Validate every step now, so a bad change is refused before anything is spent.
    const validated = engine.validateRequest(endpoint, prompt, params);
    return { original: t.id, parent: t.parentId!, prompt: validated.prompt as string, endpointId: endpoint.id, estimatedCostMicros: engine.estimateCostMicros(endpoint, validated) };
  });
  const estimatedCostMicros = plan.reduce((s, p) => s + p.estimatedCostMicros, 0);
  if (options.dryRun) return { dryRun: true, plan, estimatedCostMicros, mapping: {}, branches: {}, failed: [] };

  const mapping = new Map<string, TurnRow>();
  const failed: string[] = [];
  const byParent = new Map<string, TurnRow[]>();
  for (const t of subtree) byParent.set(t.parentId!, [...(byParent.get(t.parentId!) ?? []), t]);

  const rootParent = await engine.store.getTurn(root.parentId);
  let level: { original: TurnRow; parent: TurnRow }[] = [{ original: root, parent: rootParent }];
  while (level.length > 0) {
    const next: typeof level = [];
    // Siblings run side by side; each level waits for its parents.
    await Promise.all(
      level.map(async ({ original, parent }) => {
        const isRoot = original.id === root.id;
        const made = await rerunTurn(engine, original, parent, options.signal, {
          prompt: isRoot ? change.prompt : undefined,
          params: isRoot ? overrides : undefined,
          originKind: 'whatif',
          memo: 'auto',
        });
        mapping.set(original.id, made);
        if (made.status !== 'succeeded') {
          failed.push(original.id);
          return;
        }
        for (const child of byParent.get(original.id) ?? []) next.push({ original: child, parent: made });
      }),
    );
    level = next;
  }

  const branches: Record<string, string> = {};
  const refs = await engine.store.listRefs(sessionId);
  const taken = new Set(refs.map((r) => r.name));
  for (const ref of refs) {
    const copy = mapping.get(ref.turnId);
    if (!copy) continue;
    // Branch names are at most 100 characters: shorten the original so the suffix fits (the
    // what-if has already run, so a refused name here would strand its turns).
    const base = ref.name.slice(0, 100 - '-whatif-999'.length).replace(/[./]+$/, '');
    let name = `${base}-whatif`;
    for (let i = 2; taken.has(name); i++) name = `${base}-whatif-${i}`;
    taken.add(name);
    await engine.store.createRef(sessionId, name, copy.id);
    branches[ref.name] = name;
  }
  const session = await engine.store.getSession(sessionId);
  const headCopy = session.headTurnId ? mapping.get(session.headTurnId) : undefined;
  const newHead = headCopy ?? mapping.get(root.id)!;
  if (newHead.status === 'succeeded') {
    await engine.store.setHead(sessionId, newHead.id, [], null);
    engine.events.emit({ type: 'head.moved', sessionId, turnId: newHead.id });
  }
  return {
    dryRun: false,
    plan,
    estimatedCostMicros,
    mapping: Object.fromEntries([...mapping].map(([k, v]) => [k, v.id])),
    branches,
    failed,
  };
}

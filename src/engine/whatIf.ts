import { withoutImages } from '../kontext/imageFields.js';
import { ValidationError } from '../errors/ValidationError.js';
import { KontextParamsOverrides } from '../kontext/schemas.js';
import { checkPrompt } from '../kontext/checkPrompt.js';
import { parseOrThrow } from '../kontext/validation.js';
import type { RefRow, TurnRow } from '../store/schema.js';
import type { Turn } from '../model/index.js';
import { rerunTurn, type RerunSource } from './replay.js';
import type { SessionEngine, TurnParent } from './SessionEngine.js';

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
  const newPrompt = change.prompt === undefined ? undefined : checkPrompt(change.prompt);
  const overrides = change.params ? parseOrThrow(KontextParamsOverrides, change.params, 'params') : {};
  const root = await engine.resolveTurn(sessionId, turnRef);
  if (root.parentId === null) throw new ValidationError([{ field: 'turn', message: `turn '${root.id}' is the session's root; a what-if changes an edit turn` }]);
  const subtree = await engine.store.subtree(root.id);

  const plan: WhatIfPlanStep[] = subtree.map((t) => {
    const endpoint = engine.endpoints.get(t.endpointId ?? engine.defaultEndpoint);
    const isRoot = t.id === root.id;
    const { prompt: _p, ...recorded } = withoutImages(t.params);
    const params = isRoot ? { ...recorded, ...overrides } : recorded;
    const prompt = isRoot && newPrompt !== undefined ? newPrompt : (t.prompt ?? '');
    // Validate every step now, so a bad change is refused before anything is spent.
    const validated = engine.validateRequest(endpoint, prompt, params, t.referenceBlobs.length);
    return { original: t.id, parent: t.parentId!, prompt: validated.prompt as string, endpointId: endpoint.id, estimatedCostMicros: engine.estimateCostMicros(endpoint, validated, t.referenceBlobs.length) };
  });
  const estimatedCostMicros = plan.reduce((s, p) => s + p.estimatedCostMicros, 0);
  if (options.dryRun) return { dryRun: true, plan, estimatedCostMicros, mapping: {}, branches: {}, failed: [] };

  const mapping = new Map<string, Turn>();
  const failed: string[] = [];
  const byParent = new Map<string, TurnRow[]>();
  for (const t of subtree) byParent.set(t.parentId!, [...(byParent.get(t.parentId!) ?? []), t]);

  const rootParent = await engine.store.getTurn(root.parentId);
  // Each branch into the subtree gets its `-whatif` copy's name now, before anything is sent:
  // taken at the changed turn's parent, moved onto the copies once they exist.
  const inSubtree = new Set(subtree.map((t) => t.id));
  const reserved: { original: RefRow; name: string }[] = [];
  for (const ref of await engine.store.listRefs(sessionId)) {
    if (!inSubtree.has(ref.turnId)) continue;
    // Branch names are at most 100 characters: shorten the original so the suffix fits.
    const base = `${ref.name.slice(0, 100 - '-whatif-999'.length).replace(/[./]+$/, '')}-whatif`;
    const name = (await engine.store.findRef(sessionId, base)) ? { numbered: base } : base;
    reserved.push({ original: ref, name: (await engine.store.reserveBranch(sessionId, name, rootParent.id)).name });
  }
  let level: { original: RerunSource; parent: TurnParent }[] = [{ original: root, parent: rootParent }];
  while (level.length > 0) {
    const next: typeof level = [];
    // Siblings run side by side; each level waits for its parents.
    await Promise.all(
      level.map(async ({ original, parent }) => {
        const isRoot = original.id === root.id;
        const made = await rerunTurn(engine, original, parent, options.signal, {
          prompt: isRoot ? newPrompt : undefined,
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

  // Each copied branch goes to the copy of its tip, or, where that copy failed or was never
  // made, to the nearest copy above it that succeeded; one with no such copy is let go.
  const byId = new Map(subtree.map((t) => [t.id, t]));
  const branches: Record<string, string> = {};
  let headBranch: string | undefined;
  const session = await engine.store.getSession(sessionId);
  for (const { original, name } of reserved) {
    let copy: Turn | undefined;
    for (let t = byId.get(original.turnId); t && !copy; t = t.parentId ? byId.get(t.parentId) : undefined) {
      const made = mapping.get(t.id);
      if (made?.status === 'succeeded') copy = made;
    }
    if (!copy) {
      await engine.store.deleteRef(sessionId, name);
      continue;
    }
    await engine.store.moveBranch(sessionId, name, copy.id);
    branches[original.name] = name;
    if (original.name === session.headRef) headBranch = name;
  }
  const headCopy = session.headTurnId ? mapping.get(session.headTurnId) : undefined;
  const newHead = headCopy ?? mapping.get(root.id)!;
  if (newHead.status === 'succeeded') {
    const branchTip = headBranch === undefined ? undefined : (await engine.store.findRef(sessionId, headBranch))?.turnId;
    // HEAD follows its branch's copy when that copy sits on the new HEAD; otherwise it detaches.
    if (branchTip === newHead.id) await engine.store.moveBranch(sessionId, headBranch!, newHead.id, { attachHead: true });
    else await engine.store.checkoutHead(sessionId, { turnId: newHead.id });
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

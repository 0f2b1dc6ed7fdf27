import { MIN_ID_PREFIX, validateRefName } from '../../store/SessionStore.js';
import { IntegrityError } from '../../errors/IntegrityError.js';
import type { ValidationError, ValidationIssue } from '../../errors/ValidationError.js';
import { refused, type BundleManifest, type ManifestTurn } from './manifest.js';
import type { StagedBlob } from './readBundle.js';

/**
 * Checks that the manifest describes one well-formed session whose images are all in the
 * bundle, so that writing it cannot fail half-way on a foreign key or leave a row pointing
 * at bytes we do not have. Returns the turns parents-first (the order inserts need), whatever
 * order the manifest listed them in.
 *
 * Structural problems are a ValidationError listing each field; missing or mis-sized image
 * bytes are an IntegrityError.
 */
export function checkGraph(manifest: BundleManifest, staged: ReadonlyMap<string, StagedBlob>): ManifestTurn[] {
  const issues: ValidationIssue[] = [];
  const sessionId = manifest.session.id;

  const turnsById = new Map<string, ManifestTurn>();
  manifest.turns.forEach((turn, i) => {
    if (turn.sessionId !== sessionId) issues.push({ field: `turns.${i}.sessionId`, message: `is '${turn.sessionId}'; every turn must belong to session '${sessionId}'` });
    if (turnsById.has(turn.id)) issues.push({ field: `turns.${i}.id`, message: `turn '${turn.id}' is listed twice` });
    turnsById.set(turn.id, turn);
  });

  // Walk down from the roots: a turn not reached has a missing parent or sits in a cycle.
  const children = new Map<string | null, ManifestTurn[]>();
  manifest.turns.forEach((turn, i) => {
    if (turn.parentId !== null && !turnsById.has(turn.parentId)) {
      issues.push({ field: `turns.${i}.parentId`, message: `'${turn.parentId}' is not a turn of this bundle` });
    }
    const siblings = children.get(turn.parentId) ?? [];
    siblings.push(turn);
    children.set(turn.parentId, siblings);
  });
  const ordered: ManifestTurn[] = [];
  const seen = new Set<ManifestTurn>();
  const stack = [...(children.get(null) ?? [])].reverse();
  while (stack.length > 0) {
    const turn = stack.pop()!;
    if (seen.has(turn)) continue;
    seen.add(turn);
    ordered.push(turn);
    for (const child of [...(children.get(turn.id) ?? [])].reverse()) stack.push(child);
  }
  manifest.turns.forEach((turn, i) => {
    if (!seen.has(turn) && turn.parentId !== null && turnsById.has(turn.parentId)) {
      issues.push({ field: `turns.${i}.parentId`, message: `turn '${turn.id}' is not reachable from a root turn (an ancestor is missing, or its ancestors form a cycle)` });
    }
    const parent = turn.parentId === null ? undefined : turnsById.get(turn.parentId);
    const expectedDepth = parent ? parent.depth + 1 : 0;
    if ((turn.parentId === null || parent) && turn.depth !== expectedDepth) {
      issues.push({ field: `turns.${i}.depth`, message: `is ${turn.depth}; a turn one below its parent is at depth ${expectedDepth}` });
    }
  });

  const head = manifest.session.headTurnId;
  if (head !== null && !turnsById.has(head)) issues.push({ field: 'session.headTurnId', message: `'${head}' is not a turn of this bundle` });

  const blobRows = new Set<string>();
  manifest.blobs.forEach((blob, i) => {
    if (blobRows.has(blob.hash)) issues.push({ field: `blobs.${i}.hash`, message: `blob ${blob.hash} is listed twice` });
    blobRows.add(blob.hash);
  });
  const needBlob = (hash: string, field: string) => {
    if (!blobRows.has(hash)) issues.push({ field, message: `blob ${hash} has no entry in the manifest's blobs list` });
  };
  manifest.turns.forEach((turn, i) => {
    if (turn.inputBlob !== null) needBlob(turn.inputBlob, `turns.${i}.inputBlob`);
    turn.referenceBlobs.forEach((hash, j) => needBlob(hash, `turns.${i}.referenceBlobs.${j}`));
  });

  const outputKeys = new Set<string>();
  manifest.outputs.forEach((output, i) => {
    if (!turnsById.has(output.turnId)) issues.push({ field: `outputs.${i}.turnId`, message: `'${output.turnId}' is not a turn of this bundle` });
    const key = `${output.turnId}\u0000${output.index}`;
    if (outputKeys.has(key)) issues.push({ field: `outputs.${i}.index`, message: `turn '${output.turnId}' has output ${output.index} twice` });
    outputKeys.add(key);
    needBlob(output.blobHash, `outputs.${i}.blobHash`);
  });

  const refNames = new Set<string>();
  manifest.refs.forEach((ref, i) => {
    if (ref.sessionId !== sessionId) issues.push({ field: `refs.${i}.sessionId`, message: `is '${ref.sessionId}'; every branch must belong to session '${sessionId}'` });
    if (!turnsById.has(ref.turnId)) issues.push({ field: `refs.${i}.turnId`, message: `'${ref.turnId}' is not a turn of this bundle` });
    if (refNames.has(ref.name)) issues.push({ field: `refs.${i}.name`, message: `branch '${ref.name}' is listed twice` });
    refNames.add(ref.name);
    // The rules a live session's branches follow hold for imported ones too.
    try {
      validateRefName(ref.name);
    } catch (error) {
      issues.push({ field: `refs.${i}.name`, message: (error as ValidationError).issues[0]!.message });
    }
    const shadowed = ref.name.length >= MIN_ID_PREFIX ? manifest.turns.find((turn) => turn.id.startsWith(ref.name)) : undefined;
    if (shadowed) issues.push({ field: `refs.${i}.name`, message: `${JSON.stringify(ref.name)} reads as a turn id: turn '${shadowed.id}' starts with it` });
  });

  const { headRef, redoStack } = manifest.session;
  if (headRef !== null && !refNames.has(headRef)) issues.push({ field: 'session.headRef', message: `'${headRef}' names no branch of this bundle` });
  redoStack.forEach((turnId, i) => {
    if (!turnsById.has(turnId)) issues.push({ field: `session.redoStack.${i}`, message: `'${turnId}' is not a turn of this bundle` });
  });
  const outputCount = new Map<string, number>();
  for (const output of manifest.outputs) outputCount.set(output.turnId, (outputCount.get(output.turnId) ?? 0) + 1);
  manifest.turns.forEach((turn, i) => {
    if (!Number.isInteger(turn.costMicros) || turn.costMicros < 0) issues.push({ field: `turns.${i}.costMicros`, message: `is ${turn.costMicros}; a cost is a whole non-negative number of micro-dollars` });
    const count = outputCount.get(turn.id) ?? 0;
    if (count > 0 && turn.selectedOutput >= count) issues.push({ field: `turns.${i}.selectedOutput`, message: `is ${turn.selectedOutput}; turn '${turn.id}' has outputs 0 to ${count - 1}` });
    if (count === 0 && turn.selectedOutput !== 0) issues.push({ field: `turns.${i}.selectedOutput`, message: `is ${turn.selectedOutput}; turn '${turn.id}' has no outputs` });
  });

  if (issues.length > 0) throw refused(issues);

  const missing = manifest.blobs.filter((blob) => !staged.has(blob.hash)).map((blob) => blob.hash);
  if (missing.length > 0) {
    throw new IntegrityError(`the bundle lacks the bytes of ${missing.length} image(s) its manifest lists: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`, { missing });
  }
  for (const blob of manifest.blobs) {
    const size = staged.get(blob.hash)!.size;
    if (size !== blob.size) {
      throw new IntegrityError(`blob ${blob.hash} is ${size} bytes in the bundle but ${blob.size} in its manifest`, { hash: blob.hash, size, manifestSize: blob.size });
    }
  }
  return ordered;
}

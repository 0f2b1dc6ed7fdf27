/**
 * `npm run demo`: the whole idea in a few seconds, offline, on the local simulator.
 * Starts a session from an image it draws itself, makes three chained edits, branches from
 * the first edit with a what-if, replays a path exactly (0 provider calls), prints the tree
 * like `git log --graph` and writes a contact sheet (demo-output/index.html).
 *
 * `npm run demo -- --provider fal` runs the same on fal (needs FAL_KEY; costs real money).
 */
import { parseArgs } from 'node:util';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { openEngine } from '../src/engine/openEngine.js';
import { logGraph, formatMicros } from '../src/format/logGraph.js';
import { isKontextError } from '../src/errors/KontextError.js';
import { drawKitchenScene } from './support/kitchenScene.js';
import { writeContactSheet } from './support/contactSheet.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      provider: { type: 'string', default: 'local' },
      out: { type: 'string', default: 'demo-output' },
    },
  });
  const started = performance.now();
  const outDir = resolve(values.out!);
  rmSync(outDir, { recursive: true, force: true });

  const opened = openEngine({ dataDir: resolve(outDir, '.kontext'), provider: values.provider as 'local' | 'fal' });
  const { engine } = opened;
  console.log(opened.notice);
  let submissions = 0;
  engine.events.subscribe((e) => {
    if (e.type === 'turn.submitted') submissions++;
  });

  try {
    const session = await engine.startSession({ image: { bytes: await drawKitchenScene() }, title: 'Kitchen counter' });
    console.log(`\nsession ${session.id}: started from a drawn kitchen scene`);

    const prompts = ['put a donut next to the flour', 'make it night', "add text 'DONUT TIME'"];
    const chain = [];
    for (const [i, prompt] of prompts.entries()) {
      const turn = await engine.edit(session.id, prompt, { seed: 42 + i });
      if (turn.status !== 'succeeded') throw new Error(`edit "${prompt}" ${turn.status}: ${turn.errorMessage}`);
      chain.push(turn);
      console.log(`  edit ${i + 1}: "${prompt}" → turn ${turn.id.slice(0, 8)} (seed ${turn.seedUsed}, ${formatMicros(turn.costMicros)})`);
    }

    // What-if: go back to the turn after the first edit and try "make it winter" instead of
    // "make it night"; its subtree (the text edit) is re-applied on top of the new branch.
    const plan = await engine.whatIf(session.id, chain[1]!.id, { prompt: 'make it winter' }, { dryRun: true });
    console.log(`\nwhat-if plan: ${plan.plan.length} turns, estimated ${formatMicros(plan.estimatedCostMicros)}`);
    const whatIf = await engine.whatIf(session.id, chain[1]!.id, { prompt: 'make it winter' });
    console.log(`what-if done: ${Object.keys(whatIf.mapping).length} turns rebuilt on a new branch`);
    await engine.createBranch(session.id, 'winter', 'HEAD');

    const before = submissions;
    const replay = await engine.replay(session.id, { to: 'main', mode: 'exact' });
    console.log(`\nexact replay of main → branch '${replay.branch}': ${replay.steps.length} turns, ${submissions - before} provider calls`);

    const tree = await engine.tree(session.id);
    console.log(`\n${logGraph(tree.session, tree.turns, tree.branches).join('\n')}`);
    const cost = await engine.cost(session.id);
    console.log(`\ntotal cost ${formatMicros(cost.totalMicros)} over ${tree.turns.length} turns`);

    const sheet = await writeContactSheet(engine, session.id, outDir);
    console.log(`contact sheet: ${sheet}`);
    console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await opened.close();
  }
}

main().catch((error: unknown) => {
  console.error(isKontextError(error) ? `demo failed: ${error.message}` : error);
  process.exitCode = 1;
});

/**
 * The engine side of the concurrent-sessions benchmark, in its own process so that its RSS
 * is its own: opens a file-backed store, starts `sessions` sessions and runs `turns`
 * chained edits in each, all sessions at once, sampling `process.memoryUsage().rss` every
 * 25 ms. Prints one JSON line: { ok, failed, other, peakRssBytes, baselineRssBytes, ms, errors, submitFailures, events, cpuMs }.
 *
 *   node dist/bench/concurrentSessionsChild.js '{"dbFile","blobDir","fal",...}'   (after `npm run build`)
 *   node --import tsx bench/concurrentSessionsChild.ts '{"dbFile","blobDir","fal",...}'
 */
import { Agent } from 'undici';
import { FileBlobStore } from '../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../src/engine/SessionEngine.js';
import { FAL_KONTEXT_PRO } from '../src/kontext/endpoints.js';
import { createFalProvider, type FalClientOptions } from '../src/providers/fal/index.js';
import type { Provider } from '../src/providers/Provider.js';
import { SessionStore } from '../src/store/SessionStore.js';
import { testImage } from '../test/support/images.js';

interface ChildArgs {
  dbFile: string;
  blobDir: string;
  fal: FalClientOptions;
  sessions: number;
  turns: number;
  maxInFlight: number;
  /** Sockets the fal client keeps to the server at most (undici Agent `connections`); 0: unbounded (undici's default). */
  connections: number;
}

const args = JSON.parse(process.argv[2]!) as ChildArgs;
let peak = process.memoryUsage().rss;
const baseline = peak;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 25);

const store = SessionStore.open(args.dbFile);
const fal = createFalProvider(args.connections > 0 ? { ...args.fal, dispatcher: new Agent({ connections: args.connections }) } : args.fal);
// Why submits failed, down to the transport's own code (a turn records only the outer message).
const submitFailures = new Map<string, number>();
const provider: Provider = {
  ...fal,
  name: fal.name,
  async submit(endpointId, input, options) {
    try {
      return await fal.submit(endpointId, input, options);
    } catch (error) {
      const chain: string[] = [];
      for (let e: unknown = error; e instanceof Error && chain.length < 5; e = e.cause) chain.push((e as { code?: string }).code ?? e.name);
      const key = chain.join(' <- ');
      submitFailures.set(key, (submitFailures.get(key) ?? 0) + 1);
      throw error;
    }
  },
};
const engine = new SessionEngine({ store, blobs: new FileBlobStore(args.blobDir), providers: [provider], defaultEndpoint: FAL_KONTEXT_PRO, maxInFlight: args.maxInFlight });
const image = await testImage(64, 48);
let events = 0;
engine.events.subscribe(() => void events++);
const errors = new Map<string, number>();
const started = performance.now();
/**
 * One edit, reduced to its status. A function of its own so that the session loop below keeps
 * no turn or session row while it awaits the next edit: a suspended async frame keeps every
 * local it has, dead or not, and 1,000 stale rows would be counted as the engine's memory.
 */
async function editOnce(sessionId: string, prompt: string, seed: number): Promise<string> {
  const turn = await engine.edit(sessionId, prompt, { seed });
  if (turn.status !== 'succeeded') {
    const key = `${turn.errorCode}: ${(turn.errorMessage ?? '').slice(0, 160)}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
  }
  return turn.status;
}
const outcomes = await Promise.all(
  Array.from({ length: args.sessions }, async (_, s) => {
    const sessionId = (await engine.startSession({ image: { bytes: image }, title: `load ${s}` })).id;
    const statuses: string[] = [];
    for (let t = 0; t < args.turns; t++) statuses.push(await editOnce(sessionId, `session ${s} turn ${t}: make it warmer`, s * 10 + t));
    return statuses;
  }),
);
const elapsed = performance.now() - started;
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(sampler);
const flat = outcomes.flat();
const inFlight = (await store.inFlightTurns()).length;
await engine.close();
await fal.close();
store.close();
process.stdout.write(
  `${JSON.stringify({ ok: flat.filter((s) => s === 'succeeded').length, failed: flat.filter((s) => s === 'failed').length, other: flat.filter((s) => s !== 'succeeded' && s !== 'failed').length + inFlight, peakRssBytes: peak, baselineRssBytes: baseline, ms: elapsed, errors: Object.fromEntries(errors), submitFailures: Object.fromEntries(submitFailures), events, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`,
);
process.exit(0);

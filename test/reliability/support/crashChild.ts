/**
 * The process a crash run SIGKILLs: an engine on a file-backed store making chained edits
 * through the fal provider, in several sessions at once. It reports on stdout, one line
 * each (written synchronously, so a line is out before the process can be killed):
 *
 *   READY                      engine open, about to edit
 *   SESSION <id>               a session it works in
 *   DONE <turnId> <status>     a turn it saw finish
 *   AT <phase> <turnId>        it reached the phase it was told to stop at, and holds still
 *   EXIT                       it finished everything without being killed
 *
 * Argument: one JSON object, see {@link CrashChildArgs}.
 */
import { writeSync } from 'node:fs';
import type { BlobStore } from '../../../src/blobs/BlobStore.js';
import { FileBlobStore } from '../../../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../../../src/engine/SessionEngine.js';
import { FAL_KONTEXT_PRO } from '../../../src/kontext/endpoints.js';
import { createFalProvider, type FalClientOptions } from '../../../src/providers/fal/index.js';
import type { Provider } from '../../../src/providers/Provider.js';
import { SessionStore } from '../../../src/store/SessionStore.js';
import type { StallPhase } from './crashPhases.js';

export interface CrashChildArgs {
  dbFile: string;
  blobDir: string;
  fal: FalClientOptions;
  /** Path of the image new sessions start from. */
  image: string;
  /** Sessions to continue (from HEAD); `newSessions` more are started. */
  sessions: string[];
  newSessions: number;
  turnsPerSession: number;
  /** Prompts are `<tag> s<i> t<j> …`, unique per turn, so the server's log maps submissions to turns. */
  tag: string;
  /** Hold still at the `occurrence`-th time any turn reaches `phase`. */
  stall?: { phase: StallPhase; occurrence: number };
}

const args = JSON.parse(process.argv[2]!) as CrashChildArgs;
const say = (line: string) => writeSync(1, `${line}\n`);
const counts = new Map<StallPhase, number>();

/** Counts the phase; at the chosen occurrence, says so and blocks the whole process until killed. */
function reach(phase: StallPhase, turnId: string): void {
  const n = (counts.get(phase) ?? 0) + 1;
  counts.set(phase, n);
  if (args.stall?.phase !== phase || args.stall.occurrence !== n) return;
  say(`AT ${phase} ${turnId}`);
  // Atomics.wait blocks the thread: no timer, no socket, no SQLite write can run before the kill.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
  say('STALL-EXPIRED');
  process.exit(3);
}

// The turn a provider call belongs to: its prompt carries the run tag; the engine's events carry the id.
const turnOfPrompt = new Map<string, string>();
const running = new Set<string>();

function hooked(inner: Provider): Provider {
  return {
    name: inner.name,
    prepareImage: (image, options) => inner.prepareImage(image, options),
    async submit(endpointId, input, options) {
      const turnId = turnOfPrompt.get(String(input.prompt)) ?? '-';
      reach('submitting', turnId);
      const job = await inner.submit(endpointId, input, options);
      reach('accepted', turnId);
      return job;
    },
    wait: (endpointId, job, options) => inner.wait(endpointId, job, options),
    cancel: (endpointId, job, options) => inner.cancel(endpointId, job, options),
    async download(url, options) {
      const image = await inner.download(url, options);
      reach('downloading', url);
      return image;
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  };
}

function hookedBlobs(inner: BlobStore): BlobStore {
  return {
    put: (bytes) => inner.put(bytes),
    async putStream(chunks, options) {
      const stored = await inner.putStream(chunks, options);
      reach('archived', stored.hash);
      return stored;
    },
    get: (hash) => inner.get(hash),
    has: (hash) => inner.has(hash),
    localPath: (hash) => inner.localPath(hash),
    list: () => inner.list(),
    delete: (hash, options) => inner.delete(hash, options),
    listTemporary: () => inner.listTemporary(),
    deleteTemporary: (name) => inner.deleteTemporary(name),
  };
}

const store = SessionStore.open(args.dbFile);
const provider = hooked(createFalProvider(args.fal));
// The image path comes from the parent test: a trusted caller.
const engine = new SessionEngine({ store, blobs: hookedBlobs(new FileBlobStore(args.blobDir)), providers: [provider], defaultEndpoint: FAL_KONTEXT_PRO, allowLocalFiles: true });
engine.events.subscribe((event) => {
  if (!event.turnId) return;
  if (event.type === 'turn.created' && event.prompt) {
    turnOfPrompt.set(event.prompt, event.turnId);
    reach('created', event.turnId);
  } else if (event.type === 'turn.submitted') {
    reach('submitted', event.turnId);
  } else if (event.type === 'turn.running' && !running.has(event.turnId)) {
    running.add(event.turnId);
    reach('running', event.turnId);
  }
});
say('READY');

const sessions = [...args.sessions];
for (let i = 0; i < args.newSessions; i++) sessions.push((await engine.startSession({ image: { path: args.image }, title: `${args.tag} new ${i}` })).id);
for (const id of sessions) say(`SESSION ${id}`);
await Promise.all(
  sessions.map(async (sessionId, s) => {
    for (let t = 0; t < args.turnsPerSession; t++) {
      const turn = await engine.edit(sessionId, `${args.tag} s${s} t${t} make it warmer`, { seed: t });
      say(`DONE ${turn.id} ${turn.status}`);
    }
  }),
);
say('EXIT');
await engine.close();
await provider.close?.();
store.close();
process.exit(0);

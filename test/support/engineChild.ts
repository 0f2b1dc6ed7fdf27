/**
 * A process that runs one edit through the fal provider and prints `SUBMITTED <turnId>` the
 * moment the provider accepted it — so a crash test can SIGKILL it with the job in flight.
 * Arguments: one JSON object { dbFile, blobDir, fal: client options, image: path, prompt }.
 */
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { FAL_KONTEXT_PRO } from '../../src/kontext/endpoints.js';
import { createFalProvider } from '../../src/providers/fal/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';

const args = JSON.parse(process.argv[2]!) as {
  dbFile: string;
  blobDir: string;
  fal: Parameters<typeof createFalProvider>[0];
  image: string;
  prompt: string;
  sessionId?: string;
};
const engine = new SessionEngine({
  store: SessionStore.open(args.dbFile),
  blobs: new FileBlobStore(args.blobDir),
  providers: [createFalProvider(args.fal)],
  defaultEndpoint: FAL_KONTEXT_PRO,
  // The image path comes from the parent test: a trusted caller.
  allowLocalFiles: true,
});
engine.events.subscribe((event) => {
  if (event.type === 'turn.submitted') process.stdout.write(`SUBMITTED ${event.turnId}\n`);
});
const sessionId = args.sessionId ?? (await engine.startSession({ image: { path: args.image } })).id;
process.stdout.write(`SESSION ${sessionId}\n`);
const turn = await engine.edit(sessionId, args.prompt, { seed: 7 });
process.stdout.write(`DONE ${turn.id} ${turn.status}\n`);
process.exit(0);

/**
 * A process that fires `edits` edits at once into one session of a shared SQLite file, on the
 * local provider priced at `priceMicros` an image, once `go` (a file) exists. Prints one JSON
 * line: how many turns it started and how many were refused with BUDGET_EXCEEDED.
 * Argument: one JSON object { dbFile, sessionId, root (the turn every edit starts from), edits, priceMicros, go }.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { isKontextError } from '../../src/errors/KontextError.js';
import { EndpointRegistry } from '../../src/kontext/endpoints.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';

const args = JSON.parse(process.argv[2]!) as { dbFile: string; sessionId: string; root: string; edits: number; priceMicros: number; go: string };
const store = SessionStore.open(args.dbFile);
const engine = new SessionEngine({
  store,
  blobs: new MemoryBlobStore(),
  providers: [createLocalProvider()],
  endpoints: new EndpointRegistry().withPrices({ 'local/kontext-sim': args.priceMicros }),
});
while (!existsSync(args.go)) await sleep(5);
const results = await Promise.allSettled(Array.from({ length: args.edits }, (_, i) => engine.beginEdit(args.sessionId, `edit ${process.pid} ${i}`, { seed: i }, { from: args.root })));
const refused = results.filter((r) => r.status === 'rejected' && isKontextError(r.reason) && r.reason.code === 'BUDGET_EXCEEDED').length;
const other = results.filter((r) => r.status === 'rejected' && !(isKontextError(r.reason) && r.reason.code === 'BUDGET_EXCEEDED')).map((r) => String((r as PromiseRejectedResult).reason));
const started = results.filter((r) => r.status === 'fulfilled').length;
process.stdout.write(`${JSON.stringify({ started, refused, other })}\n`);
await engine.close();
store.close();
process.exit(0);

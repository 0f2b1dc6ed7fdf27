/**
 * A process that moves one session's HEAD through the library API (`engine.undo`, `redo`,
 * `checkout`), for tests that run two of these on one SQLite file at once. It opens its own
 * engine, prints `READY`, then takes commands from stdin, one JSON {@link HeadMoveCommand} a
 * line, and answers each with `DONE <json HeadMoveReport>`. The line `EXIT` ends it.
 *
 * Moves are made one after another within the process (each awaited), so what races is the
 * other process, not this one's own calls. An error does not stop the run: it is counted and
 * reported, since "database is locked" is as much a failure as a lost move.
 *
 * Argument: one JSON object { dbFile, blobDir, sessionId }.
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';

export interface HeadMoveCommand {
  move: 'undo' | 'redo' | 'checkout';
  /** What `checkout` moves to (e.g. `HEAD~1`). */
  ref?: string;
  count: number;
}

export interface HeadMoveReport {
  /** Moves that returned without an error. */
  moved: number;
  /** `<code or name>: <message>` of each move that threw, in order. */
  errors: string[];
}

const args = JSON.parse(process.argv[2]!) as { dbFile: string; blobDir: string; sessionId: string };
const say = (line: string) => writeSync(1, `${line}\n`);

const store = SessionStore.open(args.dbFile);
const provider = createLocalProvider();
const engine = new SessionEngine({ store, blobs: new FileBlobStore(args.blobDir), providers: [provider] });

async function perform(command: HeadMoveCommand): Promise<HeadMoveReport> {
  const report: HeadMoveReport = { moved: 0, errors: [] };
  for (let i = 0; i < command.count; i++) {
    try {
      if (command.move === 'undo') await engine.undo(args.sessionId);
      else if (command.move === 'redo') await engine.redo(args.sessionId);
      else await engine.checkout(args.sessionId, command.ref!);
      report.moved++;
    } catch (error) {
      const e = error as { code?: unknown; name?: string; message?: string };
      report.errors.push(`${typeof e.code === 'string' ? e.code : e.name}: ${e.message}`);
    }
  }
  return report;
}

say('READY');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'EXIT') break;
  say(`DONE ${JSON.stringify(await perform(JSON.parse(line) as HeadMoveCommand))}`);
}
await engine.close();
await provider.close?.();
store.close();
process.exit(0);

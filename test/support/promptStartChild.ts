/**
 * A process that starts one session from a prompt (`engine.startSession({ prompt })`, local
 * provider) and, when told to, SIGKILLs itself in the middle of it, at its `killAt`-th row
 * write. It reports on stdout, one line each, written synchronously (out before the kill):
 *
 *   WRITE <n> <table> <insert|update|delete>   the n-th row written to sessions, turns, refs or outputs
 *   STARTED <sessionId>                        startSession returned (not killed)
 *
 * The writes are seen at the SQLite level, by TEMP triggers on this process's own connection
 * that call a function of the process, so nothing of the store's API (how it splits a start
 * into transactions, what its methods are called) is assumed or replaced. A kill at a row
 * write lands inside that row's transaction, which SQLite then rolls back: killing at each
 * write in turn leaves the database as it was after each commit of the start, and in the
 * middle of each multi-statement transaction.
 *
 * Argument: one JSON object { dbFile, blobDir, killAt? }.
 */
import { writeSync } from 'node:fs';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';

const WATCHED_TABLES = ['sessions', 'turns', 'refs', 'outputs'];

const args = JSON.parse(process.argv[2]!) as { dbFile: string; blobDir: string; killAt?: number };
const say = (line: string) => writeSync(1, `${line}\n`);

const store = SessionStore.open(args.dbFile);
let writes = 0;
store.sqlite.function('kontext_test_write', { deterministic: false }, (table: unknown, op: unknown) => {
  writes++;
  say(`WRITE ${writes} ${String(table)} ${String(op)}`);
  if (writes === args.killAt) process.kill(process.pid, 'SIGKILL');
  return null;
});
for (const table of WATCHED_TABLES) {
  for (const op of ['insert', 'update', 'delete']) {
    store.sqlite.exec(`create temp trigger kontext_test_${table}_${op} after ${op} on ${table} begin select kontext_test_write('${table}', '${op}'); end`);
  }
}

const provider = createLocalProvider();
const engine = new SessionEngine({ store, blobs: new FileBlobStore(args.blobDir), providers: [provider] });
const session = await engine.startSession({ prompt: 'a red kite over a grey beach', title: 'prompt start' });
say(`STARTED ${session.id}`);
await engine.close();
await provider.close?.();
store.close();
process.exit(0);

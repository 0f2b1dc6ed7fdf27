/**
 * Runs a FalTestServer in its own process, for crash tests that SIGKILL the engine's
 * process while the "fal" side keeps its state. Prints one JSON line on stdout:
 * `{"url","queueUrl","runUrl","storageUrl","key","pid"}`; the submission log is then at
 * `GET <url>/__log` and faults go to `POST <url>/__faults`.
 *
 *   node --import tsx test/support/falTestServerMain.ts '{"inProgressMs":300}' [--exit-on-stdin-close]
 *
 * With `--exit-on-stdin-close` it stops when its parent goes away (stdin closes), so a
 * killed test run leaves no server behind. SIGTERM/SIGINT stop it too.
 */
import { startFalTestServer, type FalTestServerOptions } from './falTestServer.js';

const options = JSON.parse(process.argv[2] ?? '{}') as FalTestServerOptions;
const server = await startFalTestServer(options);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
if (process.argv.includes('--exit-on-stdin-close')) {
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
}
process.stdout.write(
  `${JSON.stringify({ url: server.url, queueUrl: server.queueUrl, runUrl: server.runUrl, storageUrl: server.storageUrl, key: server.key, pid: process.pid })}\n`,
);

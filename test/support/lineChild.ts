import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * A child process that reports on stdout one line at a time, for tests that drive several
 * processes at once: wait for a line, write a command line to its stdin, wait for its exit.
 * Everything it printed is kept, so a failing test can show it.
 */
export interface LineChild {
  readonly process: ChildProcess;
  /** stdout lines so far, in order. */
  readonly lines: readonly string[];
  /** stderr so far. */
  readonly stderr: () => string;
  /**
   * The first line matching `pattern`, already printed or still to come, counting only lines
   * from number `from` on (default 0: any); rejects if the child exits first.
   */
  line(pattern: RegExp, from?: number): Promise<RegExpMatchArray>;
  /** Writes one line to the child's stdin. */
  send(line: string): void;
  /** Resolves with the exit status once the child has exited (at once if it already has). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the child if it is still running and waits for it. */
  kill(): Promise<void>;
}

/**
 * Starts `node [nodeArgs…] <script> [args…]` with piped stdio.
 *
 * @example
 * const child = spawnLineChild(['--import', 'tsx', CHILD_TS, JSON.stringify(args)]);
 * await child.line(/^READY$/);
 */
export function spawnLineChild(argv: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): LineChild {
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: { pattern: RegExp; from: number; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  let done: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  const describe = () => `stdout:\n${lines.join('\n')}${partial}\nstderr:\n${stderr}`;
  const offer = (line: string) => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i]!;
      const match = lines.length > waiter.from ? line.match(waiter.pattern) : null;
      if (match) waiters.splice(i, 1)[0]!.resolve(match);
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      offer(line);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A child that dies while we write to it must fail the test through its exit, not crash the runner with EPIPE.
  child.stdin!.on('error', () => undefined);
  const exited = (async () => {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    done = { code, signal };
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`child exited (code ${code}, signal ${signal}) before printing ${waiter.pattern}\n${describe()}`));
    return done;
  })();

  return {
    process: child,
    lines,
    stderr: () => stderr,
    line(pattern, from = 0) {
      for (const line of lines.slice(from)) {
        const match = line.match(pattern);
        if (match) return Promise.resolve(match);
      }
      if (done) return Promise.reject(new Error(`child exited (code ${done.code}, signal ${done.signal}) without printing ${pattern}\n${describe()}`));
      return new Promise((resolve, reject) => waiters.push({ pattern, from, resolve, reject }));
    },
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
    exited,
    async kill() {
      if (!done) child.kill('SIGKILL');
      await exited;
    },
  };
}

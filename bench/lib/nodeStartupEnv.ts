/**
 * Environment variables that make every Node process on a machine start later, whatever it
 * runs, and that a user's shell does not normally set.
 *
 * NODE_EXTRA_CA_CERTS: Node 20 reads and parses the named certificates at start-up, before
 * any script code runs, whether the process opens a TLS connection or not. The machines this
 * project is benchmarked on point it at the whole system bundle (/etc/ssl/certs/
 * ca-certificates.crt, ~140 certificates): measured there, `node -e 0` took ~100 ms with it
 * and ~55 ms without, and `kontext log --graph --all` on 10,000 turns 302 → 257 ms (median of
 * 15 alternating runs each). No `kontext` code can avoid it, so a timed CLI run leaves it out
 * and the benchmark reports what it adds beside the figure.
 */
const MACHINE_STARTUP_VARIABLES = ['NODE_EXTRA_CA_CERTS'] as const;

/** `env` without the variables above, and which of them it had. */
export function withoutMachineStartupCosts(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; removed: string[] } {
  const clean = { ...env };
  const removed: string[] = [];
  for (const name of MACHINE_STARTUP_VARIABLES) {
    if (clean[name] === undefined) continue;
    delete clean[name];
    removed.push(name);
  }
  return { env: clean, removed };
}

import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A throwaway PostgreSQL for tests, from Debian's `postgresql` package: `initdb` and `pg_ctl`
 * run as the `postgres` user (initdb refuses root) on a data folder in a temp dir, listening
 * only on a unix socket in that folder (`listen_addresses = ''`): no TCP port at all, so no
 * packet leaves the machine and two test runs never collide. `KONTEXT_TEST_DATABASE_URL`
 * points the tests at an existing server instead; each suite then creates its own databases.
 */

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin folder, if any. */
function serverBin(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v) && existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_ROOT, versions[0], 'bin');
}

const externalUrl = process.env.KONTEXT_TEST_DATABASE_URL;
const bin = serverBin();

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export const postgresUnavailableReason: string | undefined = externalUrl
  ? undefined
  : bin === undefined
    ? `no PostgreSQL server under ${PG_ROOT} (apt-get install postgresql) and KONTEXT_TEST_DATABASE_URL is not set`
    : process.getuid?.() !== 0
      ? 'a throwaway cluster is started as the postgres user, which needs root; set KONTEXT_TEST_DATABASE_URL instead'
      : undefined;

export const postgresAvailable = postgresUnavailableReason === undefined;

export interface PostgresCluster {
  /** URL of the cluster's maintenance database (or KONTEXT_TEST_DATABASE_URL). */
  readonly url: string;
  /** A URL on the same server with the database name replaced. */
  urlOf(database: string): string;
  /** `pg_ctl restart`: every connection is cut, the server comes back on the same socket. */
  restart(): Promise<void>;
  /** Stops the server (an external server is left running) and removes the data folder. */
  stop(): Promise<void>;
}

/** Starts a fresh cluster (or wraps KONTEXT_TEST_DATABASE_URL). */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  if (externalUrl) {
    return {
      url: externalUrl,
      urlOf: (database) => withDatabase(externalUrl, database),
      restart: async () => {
        throw new Error('cannot restart an external server (KONTEXT_TEST_DATABASE_URL)');
      },
      stop: async () => {},
    };
  }
  if (!bin) throw new Error(postgresUnavailableReason);
  const dir = mkdtempSync(join(tmpdir(), 'kontext-pg-'));
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gidOut } = await run('id', ['-g', 'postgres']);
  chownSync(dir, Number(stdout.trim()), Number(gidOut.trim()));
  const data = join(dir, 'data');
  const asPostgres = (tool: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { cwd: dir });
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
  const options = `-c listen_addresses='' -c unix_socket_directories='${dir}' -c fsync=off -c max_connections=200`;
  await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  const url = `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dir)}`;
  return {
    url,
    urlOf: (database) => `postgres://postgres@localhost/${database}?host=${encodeURIComponent(dir)}`,
    restart: async () => {
      // -l as on start: without it the server keeps this process's pipes open and the call never returns.
      await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-m', 'fast', '-w', '-t', '60', '-o', options, 'restart']);
    },
    stop: async () => {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

let counter = 0;

/** Creates an empty database on the cluster, named uniquely, and returns its URL. */
export async function createDatabase(cluster: PostgresCluster, prefix = 'kontext_test'): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return cluster.urlOf(name);
}

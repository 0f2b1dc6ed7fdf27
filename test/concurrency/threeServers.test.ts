import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cliEnv, runCli } from '../cli/support/cli.js';
import { testImage } from '../support/images.js';
import { startServe, type ServeProcess } from '../support/serveProcess.js';
import { testTempDir } from '../support/testTempDir.js';

/** One request as a client saw it: a status, or 0 when no answer came at all. */
interface Exchange {
  who: string;
  request: string;
  status: number;
  body: unknown;
}

/** An edit answered 2xx, to be found in the database afterwards. */
interface Edit {
  sessionId: string;
  turnId: string;
  parentId: string | null;
}

type Json = Record<string, any>;

/** Every request the clients make, kept in order, so the assertions can list what went wrong. */
class Traffic {
  readonly exchanges: Exchange[] = [];
  readonly edits: Edit[] = [];

  async call(who: string, server: ServeProcess, method: string, path: string, body?: Uint8Array<ArrayBuffer> | object): Promise<Json> {
    const request = `${method} ${path}`;
    let status = 0;
    let parsed: unknown;
    try {
      const bytes = body instanceof Uint8Array;
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': bytes ? 'image/png' : 'application/json' },
        body: body === undefined ? undefined : bytes ? body : JSON.stringify(body),
      });
      status = response.status;
      const text = await response.text();
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    } catch (error) {
      parsed = `no answer: ${(error as Error).message}`;
    }
    this.exchanges.push({ who, request, status, body: parsed });
    if (status < 200 || status >= 300) throw new Error(`${who}: ${request} answered ${status}: ${JSON.stringify(parsed)}`);
    return parsed as Json;
  }

  /** POST …/turns?wait=true: the edit, finished, recorded as one to look for later. */
  async edit(who: string, server: ServeProcess, sessionId: string, prompt: string): Promise<Json> {
    const turn = await this.call(who, server, 'POST', `/sessions/${sessionId}/turns?wait=true`, { prompt });
    this.edits.push({ sessionId, turnId: turn.id, parentId: turn.parentId });
    return turn;
  }

  /** Answers of 500 and above, and requests that got no answer: none is allowed, whatever else happens. */
  serverErrors(): string[] {
    return this.exchanges.filter((e) => e.status >= 500 || e.status === 0).map((e) => `${e.who}: ${e.request} → ${e.status} ${JSON.stringify(e.body).slice(0, 300)}`);
  }

  notOk(): string[] {
    return this.exchanges.filter((e) => e.status < 200 || e.status >= 300).map((e) => `${e.who}: ${e.request} → ${e.status}`);
  }
}

/**
 * One client's ten requests, on a session of its own and on one all clients share: start,
 * edits, undo, redo, checkout. On its own session nothing else moves HEAD, so every request
 * has one right answer (2xx) and the final HEAD is known: the last edit, made from `e1`.
 */
async function client(traffic: Traffic, who: string, server: ServeProcess, sharedId: string, image: Uint8Array<ArrayBuffer>): Promise<{ ownId: string; lastEdit: string }> {
  const created = await traffic.call(who, server, 'POST', '/sessions', image);
  const own: string = created.session.id;
  const e1 = await traffic.edit(who, server, own, `${who} e1 warmer`);
  await traffic.edit(who, server, sharedId, `${who} shared 1 cooler`);
  const e2 = await traffic.edit(who, server, own, `${who} e2 brighter`);
  const undone = await traffic.call(who, server, 'POST', `/sessions/${own}/undo`, {});
  expect(undone.session.headTurnId, `${who}: undo`).toBe(e1.id);
  const redone = await traffic.call(who, server, 'POST', `/sessions/${own}/redo`, {});
  expect(redone.session.headTurnId, `${who}: redo`).toBe(e2.id);
  await traffic.edit(who, server, sharedId, `${who} shared 2 darker`);
  await traffic.call(who, server, 'POST', `/sessions/${own}/checkout`, { ref: e1.id });
  const e3 = await traffic.edit(who, server, own, `${who} e3 sharper`);
  expect(e3.parentId, `${who}: the edit after checking out e1`).toBe(e1.id);
  await traffic.call(who, server, 'POST', `/sessions/${sharedId}/undo`, {});
  return { ownId: own, lastEdit: e3.id };
}

/** Clients' rounds one after another: `rounds` of them, or fewer when `until` says stop first. */
async function rounds(n: number, round: (i: number) => Promise<{ ownId: string; lastEdit: string }>, until: () => boolean = () => false) {
  const owns: { ownId: string; lastEdit: string }[] = [];
  for (let i = 0; i < n && !until(); i++) owns.push(await round(i));
  return owns;
}

/** What the servers logged about errors (a 500's cause is in the log, not in the answer). */
function loggedErrors(servers: readonly ServeProcess[]): string {
  const lines = servers.flatMap((s, i) => s.child.stderr().split('\n').filter((l) => /error/i.test(l)).map((l) => `server ${i}: ${l.slice(0, 240)}`));
  return lines.slice(0, 12).join('\n');
}

/** The `error` of a CLI's --json document, on one line (undefined when stdout is no such document). */
function cliError(stdout: string): string | undefined {
  try {
    const doc = JSON.parse(stdout) as { error?: { code?: string; message?: string } };
    return doc.error ? `${doc.error.code}: ${doc.error.message}` : undefined;
  } catch {
    return undefined;
  }
}

/** Reads every 2xx edit back through `reader`, and each client's session HEAD. */
async function expectAllInDatabase(traffic: Traffic, reader: ServeProcess, owns: readonly { ownId: string; lastEdit: string }[], shared: { id: string; root: string }): Promise<void> {
  const missing: string[] = [];
  for (const edit of traffic.edits) {
    const response = await fetch(`${reader.url}/sessions/${edit.sessionId}/turns/${edit.turnId}`);
    const turn = (await response.json()) as Json;
    if (response.status !== 200 || turn.status !== 'succeeded' || turn.parentId !== edit.parentId) {
      missing.push(`${edit.sessionId}/${edit.turnId}: ${response.status} ${turn.status ?? ''} parent ${turn.parentId}`);
    }
  }
  expect(missing, 'edits answered 2xx but not in the database as answered').toEqual([]);

  const listed = ((await (await fetch(`${reader.url}/sessions`)).json()) as { sessions: { id: string }[] }).sessions.map((s) => s.id);
  expect(listed).toEqual(expect.arrayContaining([shared.id, ...owns.map((o) => o.ownId)]));
  for (const own of owns) {
    const head = (await (await fetch(`${reader.url}/sessions/${own.ownId}/head`)).json()) as Json;
    expect(head.session.headTurnId, `HEAD of ${own.ownId}`).toBe(own.lastEdit);
  }
  // The shared session holds its root and exactly the edits that were answered, no more.
  const tree = (await (await fetch(`${reader.url}/sessions/${shared.id}/tree`)).json()) as { turns: { id: string }[] };
  const sharedEdits = traffic.edits.filter((e) => e.sessionId === shared.id).map((e) => e.turnId);
  expect(tree.turns.map((t) => t.id).sort()).toEqual([shared.root, ...sharedEdits].sort());
}

describe('several processes on one SQLite file', () => {
  it('three servers under concurrent clients: no 5xx, and every edit answered 2xx is in the database', async () => {
    const dir = testTempDir('kontext-three-servers-');
    const db = join(dir, 'data', 'kontext.db');
    const image = new Uint8Array(await testImage(64, 48));
    // The first creates and migrates the file; the other two open it as it is.
    const first = await startServe({ db, cwd: dir });
    onTestFinished(() => first.child.kill());
    const others = await Promise.all([startServe({ db, cwd: dir }), startServe({ db, cwd: dir })]);
    for (const s of others) onTestFinished(() => s.child.kill());
    const servers = [first, ...others];

    const traffic = new Traffic();
    const created = await traffic.call('setup', first, 'POST', '/sessions', image);
    const sharedId: string = created.session.id;

    // 3 servers × 4 clients × 2 rounds of 10 requests, all at once.
    const results = await Promise.allSettled(
      servers.flatMap((server, s) => [0, 1, 2, 3].map((c) => rounds(2, (i) => client(traffic, `server ${s} client ${c} round ${i}`, server, sharedId, image)))),
    );

    expect(traffic.serverErrors(), `answers ≥ 500 or no answer; the servers logged:\n${loggedErrors(servers)}`).toEqual([]);
    expect(traffic.notOk(), 'answers that were not 2xx').toEqual([]);
    expect(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
    expect(traffic.exchanges).toHaveLength(1 + 3 * 4 * 2 * 10);
    const owns = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    await expectAllInDatabase(traffic, servers[1]!, owns, { id: sharedId, root: created.head.id });

    expect(await Promise.all(servers.map((s) => s.stop()))).toEqual(servers.map(() => ({ code: 0, signal: null })));
  }, 300_000);

  it('three CLIs editing beside a server under concurrent clients: no 5xx, no CLI failure, every edit in the database', async () => {
    const dir = testTempDir('kontext-cli-beside-server-');
    const db = join(dir, 'data', 'kontext.db');
    const image = new Uint8Array(await testImage(64, 48));
    const server = await startServe({ db, cwd: dir });
    onTestFinished(() => server.child.kill());

    const traffic = new Traffic();
    const created = await traffic.call('setup', server, 'POST', '/sessions', image);
    const sharedId: string = created.session.id;

    // Three CLIs, each eight edits and two undos on the shared session, one process a command, as a user would type them.
    const cliFailures: string[] = [];
    let cliDone = false;
    const cliUser = async (u: number) => {
      for (let i = 0; i < 10; i++) {
        const args = i % 5 === 4 ? ['undo'] : ['edit', `cli ${u} edit ${i} softer light`];
        const run = await runCli([...args, '--session', sharedId, '--json'], { cwd: dir, env: cliEnv({ KONTEXT_DB: db }) });
        if (run.code !== 0) {
          cliFailures.push(`kontext ${args.join(' ')} exited ${run.code}: ${cliError(run.stdout) ?? run.stderr.trim().split('\n').at(-1)}`);
          continue;
        }
        const doc = JSON.parse(run.stdout) as Json;
        if (args[0] === 'edit') traffic.edits.push({ sessionId: sharedId, turnId: doc.turn.id, parentId: doc.turn.parentId });
      }
    };
    const cli = Promise.all([cliUser(0), cliUser(1), cliUser(2)]).finally(() => (cliDone = true));
    // Six clients go on for as long as the CLIs run (a CLI command is a whole process start), up to 8 rounds each.
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((c) => rounds(8, (i) => client(traffic, `client ${c} round ${i}`, server, sharedId, image), () => cliDone)));
    await cli;

    expect(traffic.serverErrors(), `answers ≥ 500 or no answer; the server logged:\n${loggedErrors([server])}`).toEqual([]);
    expect(cliFailures, 'CLI commands that failed').toEqual([]);
    expect(traffic.notOk(), 'answers that were not 2xx').toEqual([]);
    expect(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
    const owns = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    await expectAllInDatabase(traffic, server, owns, { id: sharedId, root: created.head.id });

    expect(await server.stop()).toEqual({ code: 0, signal: null });
  }, 300_000);
});

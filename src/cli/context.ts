import { dirname, join } from 'node:path';
import { FileBlobStore } from '../blobs/FileBlobStore.js';
import type { OpenedEngine } from '../engine/openEngine.js';
import { resolveTurnRef } from '../engine/resolveTurnRef.js';
import type { SessionEngine } from '../engine/SessionEngine.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import { ValidationError } from '../errors/ValidationError.js';
import { SessionStore } from '../store/SessionStore.js';
import type { Session, Turn } from '../model/index.js';
import { sessionFromRow, turnFromRow } from '../model/fromRows.js';
import type { ImageAddress } from '../present/documents.js';
import { short } from '../present/lines.js';
import type { TurnRow } from '../store/schema.js';
import { CurrentSession } from './currentSession.js';
import type { GlobalOptions } from './globals.js';
import type { Output } from './output.js';
import { Progress } from './progress.js';
import { UsageError } from './UsageError.js';

/** What resuming the database's unfinished turns did. */
export interface ResumeReport {
  /** Turns this process carried to their end, as they ended. */
  resumed: Turn[];
  /** Turns another live process is running (its lease is held): left to it. */
  busy: string[];
  /** Turns whose provider is not configured here (e.g. fal without FAL_KEY): left in flight, untouched. */
  unavailable: { turnId: string; provider: string }[];
}

/**
 * What one command works with: the database named by `--db` and the archive beside it
 * (opened at once: reading is cheap), the engine (opened on first use: it loads sharp, undici
 * and tar, which `log` or `show` do not need), the session the command acts on, and the
 * progress reporter listening to the engine's events.
 */
export class CliContext {
  readonly store: SessionStore;
  /** The archive folder beside the database; undefined when KONTEXT_BLOBS names a bucket instead. */
  readonly blobs: FileBlobStore | undefined;
  readonly current: CurrentSession;
  readonly progress: Progress;
  /** Where the CLI shows an image: its file in the archive. */
  readonly address: ImageAddress;
  private opened: Promise<OpenedEngine> | undefined;
  private noticeSaid = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly globals: GlobalOptions,
    readonly output: Output,
    /** Where FAL_KEY, the fal URL overrides and `serve`'s KONTEXT_TOKENS are read. */
    readonly env: Readonly<Record<string, string | undefined>> = process.env,
    private readonly options: { liveUpdates?: boolean } = {},
  ) {
    this.store = SessionStore.open(globals.db);
    this.blobs = env.KONTEXT_BLOBS ? undefined : new FileBlobStore(join(dirname(globals.db), 'blobs'));
    this.current = new CurrentSession(globals.db);
    // With KONTEXT_BLOBS the images are in a bucket: no local file to point at.
    this.address = (hash) => this.blobs?.localPath(hash) ?? `kontext://images/${hash}`;
    this.progress = new Progress({
      output,
      tty: process.stderr.isTTY === true,
      enabled: !globals.quiet,
      columns: () => process.stderr.columns,
    });
  }

  /**
   * The engine over the same database and archive, with the provider `--provider`/`FAL_KEY`
   * choose; the fal provider reads FAL_KEY and the FAL_*_URL overrides from the env itself.
   */
  engine(): Promise<SessionEngine> {
    this.opened ??= import('../engine/openEngine.js').then(async ({ openEngine }) => {
      const bucket = this.env.KONTEXT_BLOBS ? await (await import('../blobs/openBlobStore.js')).openBlobStore(this.env.KONTEXT_BLOBS, this.env) : undefined;
      const opened = openEngine({
        blobs: bucket,
        dataDir: dirname(this.globals.db),
        dbFile: this.globals.db,
        provider: this.globals.provider,
        env: this.env,
        liveUpdates: this.options.liveUpdates === true,
        // The CLI's user owns the machine: the files and the local network they name are theirs
        // to read. The guard still refuses cloud metadata addresses and caps size, time and redirects.
        // (`serve` lends this engine to the server, which downloads image_url with its own guard
        // and passes only bytes, so none of this reaches an HTTP client.)
        allowLocalFiles: true,
        ssrf: { allowLoopback: true, allowPrivate: true },
      });
      this.unsubscribe = opened.engine.events.subscribe((event) => this.progress.handle(event));
      // A bucket opened here is closed with the engine (openEngine leaves a given store open).
      return bucket ? { ...opened, close: async () => (await opened.close(), await bucket.close()) } : opened;
    });
    return this.opened.then((o) => o.engine);
  }

  /** Says which provider runs turns (and that local images are simulated), once per process, on stderr. */
  private async sayNotice(): Promise<void> {
    if (this.noticeSaid || !this.opened) return;
    const { notice } = await this.opened;
    this.noticeSaid = true;
    this.output.note(notice);
  }

  /** Opens the engine and says which provider it runs turns on: for commands that may call one. */
  async providerEngine(): Promise<SessionEngine> {
    const engine = await this.engine();
    await this.sayNotice();
    return engine;
  }

  /** The session to act on: `--session` (an id or unique prefix), else the one `kontext use` remembered. */
  async session(): Promise<Session> {
    if (this.globals.session !== undefined) return this.findSession(this.globals.session, '--session');
    const remembered = this.current.get();
    if (remembered === undefined) {
      throw new UsageError("no session selected: start one with 'kontext new <image>', choose one with 'kontext use <session>' (see 'kontext sessions'), or pass --session <id>");
    }
    const session = await this.store.findSession(remembered);
    if (!session) {
      throw new UsageError(`the current session '${remembered}' is not in ${this.globals.db}; choose another with 'kontext use <session>' (see 'kontext sessions')`);
    }
    return sessionFromRow(session);
  }

  async sessionId(): Promise<string> {
    return (await this.session()).id;
  }

  /** A session by full id or unique prefix. */
  async findSession(ref: string, field = 'session'): Promise<Session> {
    const exact = await this.store.findSession(ref);
    if (exact) return sessionFromRow(exact);
    const matches = ref === '' ? [] : (await this.store.listSessions()).filter((s) => s.id.startsWith(ref));
    if (matches.length === 1) return sessionFromRow(matches[0]!);
    if (matches.length > 1) {
      throw new ValidationError([{ field, message: `'${ref}' is ambiguous; it matches sessions ${matches.map((s) => s.id).join(', ')}` }]);
    }
    throw new NotFoundError('session', ref, `no session '${ref}' in ${this.globals.db} (see 'kontext sessions')`);
  }

  /** A turn of the session as the user named it: id, unique prefix, branch, HEAD, HEAD~N (the engine's rules). */
  async resolveTurn(session: Session, ref: string): Promise<TurnRow> {
    return resolveTurnRef(this.store, session, ref);
  }

  /** A turn with its outputs, read from the store without opening the engine. */
  async turn(turnId: string): Promise<Turn> {
    const { turn, outputs } = await this.store.turnWithOutputs(turnId);
    return turnFromRow(turn, outputs);
  }

  /**
   * Completes every unfinished turn of the database that no live process holds, by its
   * request id when it was submitted (never submitting twice), so a killed `kontext edit`
   * loses nothing. Like `engine.resume()`, except that turns whose provider is not configured
   * in this process are left alone: running them here would end them as failed and lose a
   * result that may already be paid for. Opens the engine only when something is in flight.
   */
  async resumeInFlight(): Promise<ResumeReport> {
    const report: ResumeReport = { resumed: [], busy: [], unavailable: [] };
    const inFlight = await this.store.inFlightTurns();
    if (inFlight.length === 0) return report;
    const engine = await this.engine();
    if (inFlight.some((t) => t.provider === null || engine.providerNames.includes(t.provider))) await this.sayNotice();
    const done = await engine.resume({ onResuming: (t) => this.progress.resuming(t.id, t.status) });
    this.progress.stop();
    return { resumed: done.resumed, busy: done.heldElsewhere, unavailable: done.unconfigured };
  }

  /** Tells on stderr what an automatic resume did (the `resume` command prints it as its result instead). */
  reportResume(report: ResumeReport): void {
    for (const t of report.resumed) {
      this.output.note(`resumed turn ${short(t.id)} of session ${short(t.sessionId)}: ${t.status}${t.errorCode ? ` (${t.errorCode}: ${t.errorMessage})` : ''}`);
    }
    for (const u of report.unavailable) {
      const hint = u.provider === 'fal' ? 'set FAL_KEY to resume it' : u.provider === 'bfl' ? 'set BFL_API_KEY to resume it' : `provider '${u.provider}' is not configured`;
      this.output.note(`turn ${short(u.turnId)} is still in flight on ${u.provider}; ${hint}`);
    }
  }

  async close(): Promise<void> {
    this.progress.stop();
    this.unsubscribe?.();
    if (this.opened) await (await this.opened.catch(() => undefined))?.close();
    this.store.close();
  }
}

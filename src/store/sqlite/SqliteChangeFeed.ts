import Database from 'better-sqlite3';
import type { ChangeFeed, TurnChange } from '../ChangeFeed.js';
import { IN_FLIGHT_STATUSES } from '../transitions.js';

/** The timer the feed polls with; tests pass one they fire by hand. */
export interface PollTimer {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface SqliteChangeFeedOptions {
  /** How often `PRAGMA data_version` is read while someone listens. Default 100 ms. */
  intervalMs?: number;
  /** Default the global setInterval/clearInterval (unref'd: polling never keeps a process alive). */
  timer?: PollTimer;
  /** Where a failed poll is reported (the next poll tries again). Default: nowhere. */
  onError?: (error: Error) => void;
}

const systemTimer: PollTimer = {
  setInterval: (callback, ms) => setInterval(callback, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** The same condition as the store's, term for term, so SQLite answers it from the partial index `turns_in_flight_idx`. */
const IN_FLIGHT_SQL = `status in (${IN_FLIGHT_STATUSES.map((s) => `'${s}'`).join(', ')})`;

type Row = [rowid: number, id: string, sessionId: string, status: string];

/**
 * Notices turn writes that other connections commit to a SQLite file (a `kontext edit` in a
 * terminal beside `kontext serve`), on a read-only connection of its own.
 *
 * `PRAGMA data_version` changes only when another connection has committed, so an idle
 * database costs one pragma per interval. When it changes, two reads say which turns did, with
 * no column or trigger added to the schema, so writers pay nothing:
 * - turns inserted since the last poll: `rowid` above the highest one seen (turns is a rowid
 *   table and SQLite gives a new row the largest rowid plus one);
 * - turns whose status moved: the in-flight turns (from the partial index), against the ones
 *   seen in flight last time; one that left the set has finished (or was deleted).
 * What else changed on a finished turn (a pick, a drift figure) is not reported: no event says it.
 *
 * This process's own writes count as "another connection" too (the store has its own); the
 * consumer tells them apart (see ChangeRelay). Polling runs only while someone subscribes.
 *
 * @example
 * const feed = new SqliteChangeFeed('.kontext/kontext.db');
 * const stop = feed.subscribe(({ sessionId, turnId }) => console.log(sessionId, turnId));
 */
export class SqliteChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<(change: TurnChange) => void>();
  private readonly intervalMs: number;
  private readonly timer: PollTimer;
  private readonly onError: (error: Error) => void;
  private db: Database.Database | undefined;
  private handle: unknown;
  private dataVersion = 0;
  private maxRowid = 0;
  /** Turns in flight at the last poll, with the status they had then. */
  private inFlight = new Map<string, { sessionId: string; status: string }>();
  private closed = false;

  constructor(private readonly file: string, options: SqliteChangeFeedOptions = {}) {
    if (file === ':memory:' || file === '') throw new RangeError('a change feed needs a database file: an in-memory database has no other connections');
    this.intervalMs = options.intervalMs ?? 100;
    if (!Number.isInteger(this.intervalMs) || this.intervalMs < 1) throw new RangeError(`intervalMs must be a whole number ≥ 1, got ${options.intervalMs}`);
    this.timer = options.timer ?? systemTimer;
    this.onError = options.onError ?? (() => undefined);
  }

  subscribe(listener: (change: TurnChange) => void): () => void {
    if (this.closed) throw new Error('the change feed is closed');
    // A function of its own per subscription, so subscribing the same listener twice gives two.
    const entry = (change: TurnChange) => listener(change);
    this.listeners.add(entry);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (!this.listeners.delete(entry)) return;
      if (this.listeners.size === 0) this.stop();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.stop();
  }

  /** Whether a poll timer runs (someone listens). */
  get polling(): boolean {
    return this.handle !== undefined;
  }

  /** One poll, as the timer runs it: reads data_version and, if it moved, tells listeners what changed. */
  poll(): void {
    const db = this.db;
    if (!db) return;
    try {
      const version = db.pragma('data_version', { simple: true }) as number;
      if (version === this.dataVersion) return;
      this.dataVersion = version;
      for (const change of this.changesSinceLastPoll(db)) {
        for (const listener of [...this.listeners]) {
          try {
            listener(change);
          } catch {
            // A listener's bug must not stop the others, nor the feed.
          }
        }
      }
    } catch (error) {
      this.onError(error as Error);
    }
  }

  /** Opens the connection and takes what is there now as the baseline: only later writes are news. */
  private start(): void {
    try {
      this.db = new Database(this.file, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 1000');
      this.dataVersion = this.db.pragma('data_version', { simple: true }) as number;
      this.db.transaction(() => {
        this.maxRowid = (this.db!.prepare('select coalesce(max(rowid), 0) from turns').pluck().get() as number) ?? 0;
        this.inFlight = new Map(this.readInFlight(this.db!).map(([, id, sessionId, status]) => [id, { sessionId, status }]));
      })();
    } catch (error) {
      this.db?.close();
      this.db = undefined;
      this.onError(error as Error);
      return;
    }
    this.handle = this.timer.setInterval(() => this.poll(), this.intervalMs);
  }

  private stop(): void {
    if (this.handle !== undefined) this.timer.clearInterval(this.handle);
    this.handle = undefined;
    this.db?.close();
    this.db = undefined;
    this.inFlight.clear();
  }

  /** Every turn inserted or moved since the last poll, each once, read in one snapshot. */
  private changesSinceLastPoll(db: Database.Database): TurnChange[] {
    return db.transaction(() => {
      const changes = new Map<string, TurnChange>();
      const top = db.prepare('select coalesce(max(rowid), 0) from turns').pluck().get() as number;
      // Deleted at the top: later inserts reuse those rowids, so the mark comes down with them.
      if (top < this.maxRowid) this.maxRowid = top;
      const inserted = db.prepare('select rowid, id, session_id, status from turns where rowid > ? order by rowid').raw().all(this.maxRowid) as Row[];
      for (const [rowid, turnId, sessionId] of inserted) {
        changes.set(turnId, { sessionId, turnId });
        this.maxRowid = Math.max(this.maxRowid, rowid);
      }
      const now = new Map<string, { sessionId: string; status: string }>();
      for (const [, turnId, sessionId, status] of this.readInFlight(db)) {
        now.set(turnId, { sessionId, status });
        if (this.inFlight.get(turnId)?.status !== status) changes.set(turnId, { sessionId, turnId });
      }
      for (const [turnId, { sessionId }] of this.inFlight) if (!now.has(turnId)) changes.set(turnId, { sessionId, turnId });
      this.inFlight = now;
      return [...changes.values()];
    })();
  }

  private readInFlight(db: Database.Database): Row[] {
    return db.prepare(`select rowid, id, session_id, status from turns where ${IN_FLIGHT_SQL}`).raw().all() as Row[];
  }
}

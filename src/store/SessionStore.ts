import { and, asc, desc, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { customAlphabet } from 'nanoid';
import { ConflictError } from '../errors/ConflictError.js';
import { NotFoundError } from '../errors/NotFoundError.js';
import { ValidationError } from '../errors/ValidationError.js';
import { openDatabase, type KontextDatabase, type OpenDatabaseOptions } from './openDatabase.js';
import {
  blobs,
  outputs,
  refs,
  sessions,
  turns,
  type BlobRow,
  type OutputRow,
  type RefRow,
  type SessionRow,
  type TurnKind,
  type TurnRow,
  type TurnStatus,
} from './schema.js';
import { canTransition, IN_FLIGHT_STATUSES } from './transitions.js';

export interface NewSession {
  title?: string;
  owner?: string | null;
  defaultEndpoint: string;
  defaultParams?: Record<string, unknown>;
  budgetMicros?: number | null;
}

export interface NewTurn {
  sessionId: string;
  parentId: string | null;
  kind: TurnKind;
  endpointId?: string | null;
  provider?: string | null;
  prompt?: string | null;
  params?: Record<string, unknown>;
  seedRequested?: number | null;
  inputBlob?: string | null;
  originTurnId?: string | null;
  originKind?: TurnRow['originKind'];
  /** Defaults to 'pending'. */
  status?: TurnStatus;
}

/** Fields that may change together with a status move. */
export type TurnPatch = Partial<
  Pick<
    TurnRow,
    | 'requestId'
    | 'providerHandle'
    | 'provider'
    | 'params'
    | 'inputBlob'
    | 'seedUsed'
    | 'errorCode'
    | 'errorMessage'
    | 'errorDetail'
    | 'timings'
    | 'costMicros'
    | 'startedAt'
    | 'finishedAt'
    | 'originTurnId'
    | 'originKind'
    | 'selectedOutput'
    | 'submitAttemptedAt'
  >
>;

export type NewOutput = Omit<OutputRow, 'turnId'>;
export type NewBlob = Omit<BlobRow, 'createdAt'>;

export interface OpenStoreOptions extends OpenDatabaseOptions {
  /** Turn and session id generator; tests pass a deterministic one. */
  newId?: () => string;
  /** Clock for created/updated times. */
  now?: () => Date;
}

/**
 * Ids are 12 letters and digits (71 bits): no `-` or `_`, so an id never reads as a CLI flag
 * and a short prefix can be typed like a git hash.
 */
const newTurnId = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 12);
/** Prefix lookups accept only id-like text (older ids may contain `-` and `_`). */
const ID_ALPHABET_RE = /^[A-Za-z0-9_-]+$/;

/**
 * The durable tree of edit turns. All SQL of the project lives in this module, so another
 * database (Postgres, for several servers) is a second implementation of this API, not a
 * rewrite of the engine. Every method that writes more than one row is one transaction.
 */
export class SessionStore {
  private readonly newId: () => string;
  private readonly now: () => Date;

  private constructor(readonly db: KontextDatabase, options: OpenStoreOptions) {
    this.newId = options.newId ?? newTurnId;
    this.now = options.now ?? (() => new Date());
  }

  /** Opens a SQLite file (created and migrated as needed) or `:memory:`. */
  static open(file: string, options: OpenStoreOptions = {}): SessionStore {
    return new SessionStore(openDatabase(file, options), options);
  }

  static inMemory(options: OpenStoreOptions = {}): SessionStore {
    return SessionStore.open(':memory:', options);
  }

  close(): void {
    this.db.$client.close();
  }

  // ---------------------------------------------------------------- sessions

  async createSession(input: NewSession): Promise<SessionRow> {
    return this.insertSession(this.db, input);
  }

  private insertSession(tx: Pick<KontextDatabase, 'insert'>, input: NewSession): SessionRow {
    const now = this.now();
    const row = tx
      .insert(sessions)
      .values({
        id: this.newId(),
        title: input.title ?? '',
        owner: input.owner ?? null,
        defaultEndpoint: input.defaultEndpoint,
        defaultParams: input.defaultParams ?? {},
        budgetMicros: input.budgetMicros ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    return row;
  }

  /**
   * Creates a session whose root turn is an existing image, with branch `main` on it and HEAD
   * attached: one transaction, so a session never exists without its root.
   */
  async createSessionFromImage(input: NewSession, image: NewOutput, rootPatch: TurnPatch = {}): Promise<{ session: SessionRow; root: TurnRow }> {
    return this.db.transaction((tx) => {
      const created = this.insertSession(tx, input);
      const root = this.insertTurn(tx, { sessionId: created.id, parentId: null, kind: 'source' }, { complete: { outputs: [image], patch: rootPatch } });
      tx.insert(refs).values({ sessionId: created.id, name: 'main', turnId: root.id, createdAt: this.now() }).run();
      const session = tx.update(sessions).set({ headTurnId: root.id, headRef: 'main' }).where(eq(sessions.id, created.id)).returning().get()!;
      return { session, root };
    });
  }

  async getSession(id: string): Promise<SessionRow> {
    const row = this.db.select().from(sessions).where(eq(sessions.id, id)).get();
    if (!row) throw new NotFoundError('session', id);
    return row;
  }

  async findSession(id: string): Promise<SessionRow | undefined> {
    return this.db.select().from(sessions).where(eq(sessions.id, id)).get();
  }

  /** Sessions newest first; with `owner`, only that owner's. */
  async listSessions(filter: { owner?: string | null } = {}): Promise<SessionRow[]> {
    const where = filter.owner === undefined ? undefined : filter.owner === null ? sql`${sessions.owner} is null` : eq(sessions.owner, filter.owner);
    return this.db.select().from(sessions).where(where).orderBy(desc(sessions.updatedAt), desc(sessions.createdAt)).all();
  }

  async updateSession(
    id: string,
    patch: Partial<Pick<SessionRow, 'title' | 'defaultEndpoint' | 'defaultParams' | 'budgetMicros' | 'owner'>>,
  ): Promise<SessionRow> {
    const row = this.db.update(sessions).set({ ...patch, updatedAt: this.now() }).where(eq(sessions.id, id)).returning().get();
    if (!row) throw new NotFoundError('session', id);
    return row;
  }

  async deleteSession(id: string): Promise<void> {
    const result = this.db.delete(sessions).where(eq(sessions.id, id)).run();
    if (result.changes === 0) throw new NotFoundError('session', id);
  }

  /** Moves HEAD (to a turn of this session, or null), replaces the redo stack and sets the attached branch. */
  async setHead(sessionId: string, turnId: string | null, redoStack: string[] = [], headRef: string | null = null): Promise<SessionRow> {
    return this.db.transaction((tx) => {
      if (turnId !== null) this.requireTurnInSession(tx, sessionId, turnId);
      const row = tx
        .update(sessions)
        .set({ headTurnId: turnId, redoStack, headRef, updatedAt: this.now() })
        .where(eq(sessions.id, sessionId))
        .returning()
        .get();
      if (!row) throw new NotFoundError('session', sessionId);
      return row;
    });
  }

  // ---------------------------------------------------------------- turns

  /**
   * Writes a new turn. The parent must be a turn of the same session (enforced by a
   * composite foreign key, reported here with a clear error). With `moveHead`, HEAD moves
   * to the new turn in the same transaction and the redo stack is cleared.
   */
  async appendTurn(
    input: NewTurn,
    options: {
      moveHead?: boolean;
      headRef?: string | null;
      /** Write the turn already succeeded with these outputs (memo hits, exact replays, source images), atomically. */
      complete?: { outputs: readonly NewOutput[]; patch?: TurnPatch };
    } = {},
  ): Promise<TurnRow> {
    return this.db.transaction((tx) => this.insertTurn(tx, input, options));
  }

  private insertTurn(
    tx: Pick<KontextDatabase, 'select' | 'insert' | 'update'>,
    input: NewTurn,
    options: { moveHead?: boolean; headRef?: string | null; complete?: { outputs: readonly NewOutput[]; patch?: TurnPatch } },
  ): TurnRow {
    {
      const session = tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.id, input.sessionId)).get();
      if (!session) throw new NotFoundError('session', input.sessionId);
      let depth = 0;
      if (input.parentId !== null) {
        const parent = tx
          .select({ sessionId: turns.sessionId, depth: turns.depth })
          .from(turns)
          .where(eq(turns.id, input.parentId))
          .get();
        if (!parent) throw new NotFoundError('turn', input.parentId, `parent turn '${input.parentId}' not found`);
        if (parent.sessionId !== input.sessionId) {
          throw new ValidationError([
            { field: 'parentId', message: `turn '${input.parentId}' belongs to another session; a parent must be a turn of session '${input.sessionId}'` },
          ]);
        }
        depth = parent.depth + 1;
      }
      const now = this.now();
      const row = tx
        .insert(turns)
        .values({
          id: this.newId(),
          sessionId: input.sessionId,
          parentId: input.parentId,
          depth,
          kind: input.kind,
          endpointId: input.endpointId ?? null,
          provider: input.provider ?? null,
          prompt: input.prompt ?? null,
          params: input.params ?? {},
          seedRequested: input.seedRequested ?? null,
          status: input.status ?? 'pending',
          inputBlob: input.inputBlob ?? null,
          originTurnId: input.originTurnId ?? null,
          originKind: input.originKind ?? null,
          createdAt: now,
        })
        .returning()
        .get();
      const sessionPatch = options.moveHead
        ? { headTurnId: row.id, redoStack: [] as string[], headRef: options.headRef ?? null, updatedAt: now }
        : { updatedAt: now };
      tx.update(sessions).set(sessionPatch).where(eq(sessions.id, input.sessionId)).run();
      // An attached branch follows HEAD as it grows, like a git branch following commits.
      if (options.moveHead && options.headRef) {
        tx.update(refs).set({ turnId: row.id }).where(and(eq(refs.sessionId, input.sessionId), eq(refs.name, options.headRef))).run();
      }
      if (options.complete) {
        const { outputs: done, patch } = options.complete;
        if (done.length > 0) tx.insert(outputs).values(done.map((o) => ({ ...o, turnId: row.id }))).run();
        return tx.update(turns).set({ ...patch, status: 'succeeded' }).where(eq(turns.id, row.id)).returning().get()!;
      }
      return row;
    }
  }

  async getTurn(id: string): Promise<TurnRow> {
    const row = this.db.select().from(turns).where(eq(turns.id, id)).get();
    if (!row) throw new NotFoundError('turn', id);
    return row;
  }

  async findTurn(id: string): Promise<TurnRow | undefined> {
    return this.db.select().from(turns).where(eq(turns.id, id)).get();
  }

  /** Turns whose id starts with `prefix` (optionally within a session), at most `limit`. */
  async findTurnsByPrefix(prefix: string, options: { sessionId?: string; limit?: number } = {}): Promise<TurnRow[]> {
    if (!ID_ALPHABET_RE.test(prefix)) return [];
    // Not LIKE: `_` is both an id character and LIKE's wildcard, and LIKE ignores case, while
    // ids are case-sensitive. A literal, case-sensitive prefix comparison instead.
    const conditions: SQL[] = [sql`substr(${turns.id}, 1, ${prefix.length}) = ${prefix}`];
    if (options.sessionId) conditions.push(eq(turns.sessionId, options.sessionId));
    return this.db.select().from(turns).where(and(...conditions)).limit(options.limit ?? 10).all();
  }

  /**
   * Moves a turn to a new status (only along allowed transitions) and applies `patch`
   * in the same write. Refused moves throw ConflictError and change nothing.
   */
  async transitionTurn(id: string, to: TurnStatus, patch: TurnPatch = {}): Promise<TurnRow> {
    return this.db.transaction((tx) => {
      const current = tx.select({ status: turns.status }).from(turns).where(eq(turns.id, id)).get();
      if (!current) throw new NotFoundError('turn', id);
      if (!canTransition(current.status, to)) {
        throw new ConflictError(`turn '${id}' cannot move from ${current.status} to ${to}`, { turnId: id, from: current.status, to });
      }
      return tx.update(turns).set({ ...patch, status: to }).where(eq(turns.id, id)).returning().get()!;
    });
  }

  /** Updates fields of a turn without changing its status (e.g. the request id the moment a submit answers). */
  async patchTurn(id: string, patch: TurnPatch): Promise<TurnRow> {
    const row = this.db.update(turns).set(patch).where(eq(turns.id, id)).returning().get();
    if (!row) throw new NotFoundError('turn', id);
    return row;
  }

  /**
   * Records a turn's outputs and marks it succeeded, in one transaction: either every
   * output row and the new status are written, or none of them.
   */
  async completeTurn(id: string, newOutputs: readonly NewOutput[], patch: TurnPatch = {}): Promise<TurnRow> {
    return this.db.transaction((tx) => {
      const current = tx.select({ status: turns.status }).from(turns).where(eq(turns.id, id)).get();
      if (!current) throw new NotFoundError('turn', id);
      if (!canTransition(current.status, 'succeeded')) {
        throw new ConflictError(`turn '${id}' cannot move from ${current.status} to succeeded`, { turnId: id, from: current.status, to: 'succeeded' });
      }
      if (newOutputs.length > 0) tx.insert(outputs).values(newOutputs.map((o) => ({ ...o, turnId: id }))).run();
      return tx.update(turns).set({ ...patch, status: 'succeeded' }).where(eq(turns.id, id)).returning().get()!;
    });
  }

  async selectOutput(turnId: string, index: number): Promise<TurnRow> {
    const turn = await this.getTurn(turnId);
    const count = this.db.select({ n: sql<number>`count(*)` }).from(outputs).where(eq(outputs.turnId, turnId)).get()!.n;
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new ValidationError([
        { field: 'candidate', message: count === 0 ? `turn '${turnId}' has no outputs (status ${turn.status})` : `${index} is not an output of turn '${turnId}'; allowed: 0 to ${count - 1}` },
      ]);
    }
    return this.patchTurn(turnId, { selectedOutput: index });
  }

  async outputsOf(turnId: string): Promise<OutputRow[]> {
    return this.db.select().from(outputs).where(eq(outputs.turnId, turnId)).orderBy(asc(outputs.index)).all();
  }

  /** Outputs of many turns at once, keyed by turn id. */
  async outputsOfMany(turnIds: readonly string[]): Promise<Map<string, OutputRow[]>> {
    const byTurn = new Map<string, OutputRow[]>();
    for (let i = 0; i < turnIds.length; i += 500) {
      const rows = this.db
        .select()
        .from(outputs)
        .where(inArray(outputs.turnId, turnIds.slice(i, i + 500) as string[]))
        .orderBy(asc(outputs.turnId), asc(outputs.index))
        .all();
      for (const row of rows) {
        const list = byTurn.get(row.turnId) ?? [];
        list.push(row);
        byTurn.set(row.turnId, list);
      }
    }
    return byTurn;
  }

  /** The path root → `turnId`, in order, with one recursive query. */
  async path(turnId: string): Promise<TurnRow[]> {
    // The walk collects ids only (cheap), then joins the rows; it comes out leaf first, and
    // reversing in JS is cheaper than an ORDER BY's temporary B-tree.
    const rows = this.turnRows(
      `with recursive up(id, parent_id, step) as (
         select id, parent_id, 0 from turns where id = ?
         union all
         select t.id, t.parent_id, up.step + 1 from turns t join up on t.id = up.parent_id
       )
       select turns.*, up.step as step from up cross join turns on turns.id = up.id`,
      [turnId],
    );
    if (rows.length === 0) throw new NotFoundError('turn', turnId);
    if (rows.some((r, i) => r.step !== i)) rows.sort((a, b) => a.step - b.step);
    return rows.reverse().map((r) => r.turn);
  }

  async children(turnId: string): Promise<TurnRow[]> {
    return this.db.select().from(turns).where(eq(turns.parentId, turnId)).orderBy(asc(turns.createdAt), asc(turns.id)).all();
  }

  /** `turnId` and all its descendants, parents before children. */
  async subtree(turnId: string): Promise<TurnRow[]> {
    const rows = this.turnRows(
      `with recursive down(id) as (
         select id from turns where id = ?
         union all
         select t.id from turns t join down on t.parent_id = down.id
       )
       select turns.*, 0 as step from turns join down on down.id = turns.id order by turns.depth asc, turns.created_at asc, turns.id asc`,
      [turnId],
    );
    if (rows.length === 0) throw new NotFoundError('turn', turnId);
    return rows.map((r) => r.turn);
  }

  /**
   * Runs a query returning `turns.*` plus a `step` column, reading rows as arrays: building
   * objects with ~30 keys per row is what made a 10,000-turn path slow, not SQLite.
   */
  private turnRows(query: string, params: unknown[]): { turn: TurnRow; step: number }[] {
    const stmt = this.db.$client.prepare(query).raw(true);
    const names = stmt.columns().map((c) => c.name);
    const byName = new Map(turnColumns().map(([key, column]) => [column.name, { key, column }] as const));
    const mapping = names.map((name) => byName.get(name));
    const stepAt = names.indexOf('step');
    return (stmt.all(...params) as unknown[][]).map((values) => {
      const turn: Record<string, unknown> = {};
      for (let i = 0; i < mapping.length; i++) {
        const m = mapping[i];
        if (!m) continue;
        const value = values[i];
        turn[m.key] = value === null || value === undefined ? null : m.column.mapFromDriverValue(value);
      }
      return { turn: turn as TurnRow, step: values[stepAt] as number };
    });
  }

  /** Every turn of a session, parents before children. */
  async listTurns(sessionId: string): Promise<TurnRow[]> {
    return this.db
      .select()
      .from(turns)
      .where(eq(turns.sessionId, sessionId))
      .orderBy(asc(turns.depth), asc(turns.createdAt), asc(turns.id))
      .all();
  }

  /** Turns not yet finished (pending, submitted, running), in every session or one. */
  async inFlightTurns(sessionId?: string): Promise<TurnRow[]> {
    const conditions: SQL[] = [inArray(turns.status, IN_FLIGHT_STATUSES as TurnStatus[])];
    if (sessionId) conditions.push(eq(turns.sessionId, sessionId));
    return this.db.select().from(turns).where(and(...conditions)).orderBy(asc(turns.createdAt)).all();
  }

  /**
   * A succeeded turn with the same endpoint, input image, fixed seed and params (compared
   * as canonical JSON), whose outputs may be reused instead of paying again.
   */
  async findMemo(key: { endpointId: string; inputBlob: string | null; seed: number; params: Record<string, unknown> }): Promise<TurnRow | undefined> {
    const candidates = this.db
      .select()
      .from(turns)
      .where(
        and(
          eq(turns.endpointId, key.endpointId),
          key.inputBlob === null ? sql`${turns.inputBlob} is null` : eq(turns.inputBlob, key.inputBlob),
          eq(turns.seedRequested, key.seed),
          eq(turns.status, 'succeeded'),
        ),
      )
      .all();
    // The image is compared by content hash (inputBlob), so the URL it was sent as does not matter.
    const withoutImage = ({ image_url: _ignored, ...rest }: Record<string, unknown>) => canonicalJson(rest);
    const wanted = withoutImage(key.params);
    return candidates.find((t) => withoutImage(t.params) === wanted);
  }

  // ---------------------------------------------------------------- leases

  /**
   * Takes the right to run an unfinished turn, for `ttlMs`. Succeeds when nobody holds it,
   * the holder's lease ran out, or `isHolderGone(holder)` says the holder process is dead.
   * A compare-and-set on the old holder keeps two processes from both winning.
   */
  async claimTurn(turnId: string, owner: string, ttlMs: number, isHolderGone: (holder: string) => boolean = () => false): Promise<boolean> {
    return this.db.transaction((tx) => {
      const row = tx.select({ status: turns.status, leaseOwner: turns.leaseOwner, leaseExpiresAt: turns.leaseExpiresAt }).from(turns).where(eq(turns.id, turnId)).get();
      if (!row) throw new NotFoundError('turn', turnId);
      if (!IN_FLIGHT_STATUSES.includes(row.status)) return false;
      const now = this.now();
      const free =
        row.leaseOwner === null || row.leaseOwner === owner || (row.leaseExpiresAt !== null && row.leaseExpiresAt <= now) || isHolderGone(row.leaseOwner);
      if (!free) return false;
      tx.update(turns).set({ leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + ttlMs) }).where(eq(turns.id, turnId)).run();
      return true;
    });
  }

  /** Extends every lease `owner` holds on unfinished turns. */
  async renewLeases(owner: string, ttlMs: number): Promise<number> {
    const result = this.db
      .update(turns)
      .set({ leaseExpiresAt: new Date(this.now().getTime() + ttlMs) })
      .where(and(eq(turns.leaseOwner, owner), inArray(turns.status, IN_FLIGHT_STATUSES as TurnStatus[])))
      .run();
    return result.changes;
  }

  async releaseTurn(turnId: string, owner: string): Promise<void> {
    this.db.update(turns).set({ leaseOwner: null, leaseExpiresAt: null }).where(and(eq(turns.id, turnId), eq(turns.leaseOwner, owner))).run();
  }

  async sessionCostMicros(sessionId: string): Promise<number> {
    return this.db.select({ total: sql<number>`coalesce(sum(${turns.costMicros}), 0)` }).from(turns).where(eq(turns.sessionId, sessionId)).get()!.total;
  }

  // ---------------------------------------------------------------- refs

  async setRef(sessionId: string, name: string, turnId: string): Promise<RefRow> {
    validateRefName(name);
    return this.db.transaction((tx) => {
      this.requireTurnInSession(tx, sessionId, turnId);
      return tx
        .insert(refs)
        .values({ sessionId, name, turnId, createdAt: this.now() })
        .onConflictDoUpdate({ target: [refs.sessionId, refs.name], set: { turnId } })
        .returning()
        .get();
    });
  }

  async createRef(sessionId: string, name: string, turnId: string): Promise<RefRow> {
    validateRefName(name);
    if (await this.findRef(sessionId, name)) throw new ConflictError(`branch '${name}' already exists`, { name });
    return this.setRef(sessionId, name, turnId);
  }

  async findRef(sessionId: string, name: string): Promise<RefRow | undefined> {
    return this.db.select().from(refs).where(and(eq(refs.sessionId, sessionId), eq(refs.name, name))).get();
  }

  async listRefs(sessionId: string): Promise<RefRow[]> {
    return this.db.select().from(refs).where(eq(refs.sessionId, sessionId)).orderBy(asc(refs.name)).all();
  }

  async deleteRef(sessionId: string, name: string): Promise<void> {
    this.db.update(sessions).set({ headRef: null }).where(and(eq(sessions.id, sessionId), eq(sessions.headRef, name))).run();
    const result = this.db.delete(refs).where(and(eq(refs.sessionId, sessionId), eq(refs.name, name))).run();
    if (result.changes === 0) throw new NotFoundError('branch', name);
  }

  async renameRef(sessionId: string, from: string, to: string): Promise<RefRow> {
    validateRefName(to);
    return this.db.transaction((tx) => {
      tx.update(sessions).set({ headRef: to }).where(and(eq(sessions.id, sessionId), eq(sessions.headRef, from))).run();
      const existing = tx.select().from(refs).where(and(eq(refs.sessionId, sessionId), eq(refs.name, from))).get();
      if (!existing) throw new NotFoundError('branch', from);
      const clash = tx.select().from(refs).where(and(eq(refs.sessionId, sessionId), eq(refs.name, to))).get();
      if (clash) throw new ConflictError(`branch '${to}' already exists`, { name: to });
      return tx.update(refs).set({ name: to }).where(and(eq(refs.sessionId, sessionId), eq(refs.name, from))).returning().get()!;
    });
  }

  // ---------------------------------------------------------------- blobs

  /** Records a blob's metadata (idempotent: the same hash is the same bytes). */
  async recordBlob(blob: NewBlob): Promise<BlobRow> {
    this.db.insert(blobs).values({ ...blob, createdAt: this.now() }).onConflictDoNothing().run();
    return (await this.findBlob(blob.hash))!;
  }

  async findBlob(hash: string): Promise<BlobRow | undefined> {
    return this.db.select().from(blobs).where(eq(blobs.hash, hash)).get();
  }

  // ---------------------------------------------------------------- bulk (import)

  /**
   * Writes a whole session (from a bundle) in one transaction: blobs metadata, the session,
   * its turns (parents first), outputs and refs. Nothing is written if any row fails.
   */
  async insertSessionGraph(graph: {
    session: SessionRow;
    turns: readonly TurnRow[];
    outputs: readonly OutputRow[];
    refs: readonly RefRow[];
    blobs: readonly BlobRow[];
  }): Promise<void> {
    this.db.transaction((tx) => {
      for (const blob of graph.blobs) tx.insert(blobs).values(blob).onConflictDoNothing().run();
      tx.insert(sessions).values({ ...graph.session, headTurnId: graph.session.headTurnId }).run();
      for (const turn of graph.turns) tx.insert(turns).values(turn).run();
      for (let i = 0; i < graph.outputs.length; i += 200) tx.insert(outputs).values(graph.outputs.slice(i, i + 200) as OutputRow[]).run();
      for (const ref of graph.refs) tx.insert(refs).values(ref).run();
    });
  }

  /** Runs `fn` in one transaction (synchronous work only). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(() => fn());
  }

  private requireTurnInSession(tx: Pick<KontextDatabase, 'select'>, sessionId: string, turnId: string): void {
    const turn = tx.select({ sessionId: turns.sessionId }).from(turns).where(eq(turns.id, turnId)).get();
    if (!turn) throw new NotFoundError('turn', turnId);
    if (turn.sessionId !== sessionId) throw new NotFoundError('turn', turnId, `turn '${turnId}' is not in session '${sessionId}'`);
  }
}

const REF_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._\/-]{0,99}$/;

/** Throws a ValidationError (field `branch`) unless `name` is a valid branch name. */
export function validateRefName(name: string): void {
  if (!REF_NAME_RE.test(name) || name.includes('..') || name.endsWith('/') || name.endsWith('.')) {
    throw new ValidationError([
      { field: 'branch', message: `${JSON.stringify(name)} is not a valid branch name; use 1-100 of letters, digits, '.', '_', '-', '/', starting with a letter or digit, without '..'` },
    ]);
  }
}

/** JSON with sorted keys, so two param objects compare equal regardless of key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

let turnColumnList: [string, SQLiteColumn][] | undefined;

function turnColumns(): [string, SQLiteColumn][] {
  return (turnColumnList ??= Object.entries(getTableColumns(turns)) as [string, SQLiteColumn][]);
}

import { and, asc, desc, eq, getTableColumns, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { BudgetExceededError } from '../../errors/BudgetExceededError.js';
import { ConflictError } from '../../errors/ConflictError.js';
import { isKontextError, type KontextError } from '../../errors/KontextError.js';
import { NotFoundError } from '../../errors/NotFoundError.js';
import { StoreBusyError } from '../../errors/StoreBusyError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import { sameRequestBesideImages } from '../canonicalJson.js';
import { holdsFreshLease } from '../leases.js';
import { definedOnly, newSessionRow, newTurnRow, segmentsOf } from '../newRows.js';
import { forkTitle, planFork } from '../planFork.js';
import { branchReadsAsTurnId, ID_ALPHABET_RE, idAvoidingPrefixes, MIN_ID_PREFIX, newTurnId, validateRefName } from '../refNames.js';
import { forkRefused, pinRefused } from '../refusals.js';
import type {
  AppendOptions,
  BranchName,
  NewBlob,
  NewOutput,
  NewSession,
  NewTurn,
  SessionGraph,
  SessionPatch,
  SubtreeDeletion,
  TurnPatch,
  TurnSummary,
} from '../repositories.js';
import type { BlobRow, OutputRow, RefRow, SessionRow, TurnRow, TurnStatus } from '../rows.js';
import type { SessionStore } from '../SessionStore.js';
import { canTransition, IN_FLIGHT_STATUSES, TURN_TRANSITIONS } from '../transitions.js';
import { redactPassword } from './databaseUrl.js';
import * as schema from './schema.js';

const { sessions, turns, outputs, blobs, refs } = schema;

export interface PostgresStoreOptions {
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** A statement running longer is cancelled (the call fails BUSY). Default 30,000 ms. */
  statementTimeoutMs?: number;
  /** How long a call keeps retrying while the database is unreachable (a restart). Default 30,000 ms. */
  reconnectWindowMs?: number;
  /** Where connection errors of idle pooled clients go (the message has no password). Default: dropped. */
  onError?: (message: string) => void;
  /** Turn and session id generator; tests pass a deterministic one. */
  newId?: () => string;
  /** Clock for created/updated times and leases. */
  now?: () => Date;
}

/** Channel of the NOTIFY sent on every turn write; payload `<sessionId> <turnId>`. */
export const TURN_CHANNEL = 'kontext_turns';

type Db = NodePgDatabase<typeof schema>;
/** The database or a transaction of it: what every query helper runs on. */
type Q = Pick<Db, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

const { segmentId: _segmentId, ...turnColumns } = getTableColumns(turns);
const summaryColumns = {
  id: turns.id,
  parentId: turns.parentId,
  depth: turns.depth,
  kind: turns.kind,
  status: turns.status,
  prompt: turns.prompt,
  seedUsed: turns.seedUsed,
  costMicros: turns.costMicros,
  originKind: turns.originKind,
  errorCode: turns.errorCode,
  drift: turns.drift,
  pinnedAt: turns.pinnedAt,
};
/** Tree order: parents first, siblings oldest first; ids compared bytewise as SQLite does, whatever the database's collation. */
const TREE_ORDER = [asc(turns.depth), asc(turns.createdAt), sql`${turns.id} collate "C"`] as const;
const IN_FLIGHT = inArray(turns.status, [...IN_FLIGHT_STATUSES]);
/**
 * Every column that names a blob, one `select` each: what archive collection keeps (the same
 * list as SqliteSessionStore's).
 */
const BLOB_REFERENCE_SOURCES = [
  'select blob_hash from outputs',
  'select input_blob from turns where input_blob is not null',
  // A turn's reference images: a jsonb array of hashes.
  'select jsonb_array_elements_text(reference_blobs) from turns',
] as const;
const REFERENCED_BLOBS = BLOB_REFERENCE_SOURCES.join(' union ');

/** SQLSTATEs and socket errors that mean the server went away or is restarting: retried. */
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOENT', 'ETIMEDOUT']);
/** Deadlock and serialization failures: the transaction was rolled back and may simply run again. */
const RERUN_CODES = new Set(['40P01', '40001']);

/**
 * The PostgreSQL implementation of {@link SessionStore}, for several servers sharing one
 * history. Writes are transactions that first lock the session row (`FOR NO KEY UPDATE`): the
 * per-session equivalent of SQLite's BEGIN IMMEDIATE, so HEAD moves, budget reservations,
 * branch names and segment placement are decided by one writer at a time across every process.
 * Leases are a compare-and-set on a turn row locked `FOR UPDATE`. Every turn write sends
 * `pg_notify('kontext_turns', '<session> <turn>')` in its own transaction, so a listener
 * (PostgresChangeFeed) hears of it exactly when it commits.
 *
 * The schema is not created here: `kontext migrate` (or {@link migratePostgres}) applies it, so
 * a fleet never races to run DDL on start.
 */
export class PostgresSessionStore implements SessionStore {
  readonly pool: pg.Pool;
  private readonly db: Db;
  private readonly newId: () => string;
  private readonly now: () => Date;
  private readonly reconnectWindowMs: number;
  /** Backend pids of this store's connections, so a change feed can skip this process's own writes. */
  private readonly backends = new Set<number>();

  private constructor(
    private readonly url: string,
    options: PostgresStoreOptions,
  ) {
    this.newId = options.newId ?? newTurnId;
    this.now = options.now ?? (() => new Date());
    this.reconnectWindowMs = options.reconnectWindowMs ?? 30_000;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client whose server went away emits here; unhandled, it would end the process.
    // The pool drops that client and the next call connects anew.
    this.pool.on('error', (error) => options.onError?.(this.redact(error)));
    this.pool.on('connect', (client) => {
      const pid = (client as unknown as { processID?: number }).processID;
      if (typeof pid === 'number') this.backends.add(pid);
    });
    this.pool.on('remove', (client) => {
      const pid = (client as unknown as { processID?: number }).processID;
      if (typeof pid === 'number') this.backends.delete(pid);
    });
    this.db = drizzle(this.pool, { schema });
  }

  /** A store on `url` (`postgres://user:password@host/db`). Connects lazily; the schema must be migrated. */
  static connect(url: string, options: PostgresStoreOptions = {}): PostgresSessionStore {
    return new PostgresSessionStore(url, options);
  }

  /** Whether a NOTIFY came from one of this store's own connections. */
  isOwnBackend(pid: number): boolean {
    return this.backends.has(pid);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  // ---------------------------------------------------------------- sessions

  async createSession(input: NewSession): Promise<SessionRow> {
    return this.read((q) => this.insertSession(q, input));
  }

  private async insertSession(q: Q, input: NewSession): Promise<SessionRow> {
    const row = newSessionRow(this.newId(), input, this.now());
    await q.insert(sessions).values(row);
    return row;
  }

  async createSessionFromImage(input: NewSession, image: NewOutput, rootPatch: TurnPatch = {}): Promise<{ session: SessionRow; root: TurnRow }> {
    return this.write(async (tx) => {
      const created = await this.insertSession(tx, input);
      const root = await this.insertTurn(tx, { sessionId: created.id, parentId: null, kind: 'source' }, { complete: { outputs: [image], patch: rootPatch } });
      return { session: await this.startMain(tx, created.id, root.id), root };
    });
  }

  async createSessionFromPrompt(input: NewSession, root: Omit<NewTurn, 'sessionId' | 'parentId'>, options: Pick<AppendOptions, 'lease' | 'reserveMicros'> = {}): Promise<{ session: SessionRow; root: TurnRow }> {
    return this.write(async (tx) => {
      const created = await this.insertSession(tx, input);
      const turn = await this.insertTurn(tx, { ...root, sessionId: created.id, parentId: null }, options);
      return { session: await this.startMain(tx, created.id, turn.id), root: turn };
    });
  }

  /** Branch `main` at the root, HEAD attached to it. */
  private async startMain(tx: Q, sessionId: string, rootId: string): Promise<SessionRow> {
    await tx.insert(refs).values({ sessionId, name: 'main', turnId: rootId, createdAt: this.now() });
    const [session] = await tx.update(sessions).set({ headTurnId: rootId, headRef: 'main' }).where(eq(sessions.id, sessionId)).returning();
    return session!;
  }

  async getSession(id: string): Promise<SessionRow> {
    const session = await this.findSession(id);
    if (!session) throw new NotFoundError('session', id);
    return session;
  }

  async findSession(id: string): Promise<SessionRow | undefined> {
    return this.read((q) => this.sessionIn(q, id));
  }

  private async sessionIn(q: Q, id: string): Promise<SessionRow | undefined> {
    const [row] = await q.select().from(sessions).where(eq(sessions.id, id));
    return row;
  }

  private async sessionOrThrow(q: Q, id: string): Promise<SessionRow> {
    const session = await this.sessionIn(q, id);
    if (!session) throw new NotFoundError('session', id);
    return session;
  }

  async listSessions(filter: { owner?: string | null } = {}): Promise<SessionRow[]> {
    const where = filter.owner === undefined ? undefined : filter.owner === null ? isNull(sessions.owner) : eq(sessions.owner, filter.owner);
    return this.read((q) => q.select().from(sessions).where(where).orderBy(desc(sessions.updatedAt), desc(sessions.createdAt)));
  }

  async updateSession(id: string, patch: SessionPatch): Promise<SessionRow> {
    const [row] = await this.read((q) => q.update(sessions).set({ ...patch, updatedAt: this.now() }).where(eq(sessions.id, id)).returning());
    if (!row) throw new NotFoundError('session', id);
    return row;
  }

  async deleteSession(id: string): Promise<void> {
    const deleted = await this.read((q) => q.delete(sessions).where(eq(sessions.id, id)).returning({ id: sessions.id }));
    if (deleted.length === 0) throw new NotFoundError('session', id);
  }

  async sessionCostMicros(sessionId: string): Promise<number> {
    const [row] = await this.read((q) => q.select({ spent: sql<string>`coalesce(sum(${turns.costMicros}), 0)` }).from(turns).where(eq(turns.sessionId, sessionId)));
    return Number(row!.spent);
  }

  async insertSessionGraph(graph: SessionGraph): Promise<void> {
    await this.write(async (tx) => {
      if (graph.blobs.length > 0) await tx.insert(blobs).values([...graph.blobs]).onConflictDoNothing();
      await tx.insert(sessions).values(graph.session);
      await this.insertTreeRows(tx, graph);
    });
  }

  /**
   * Inside a transaction: a new session's turns (parents first), outputs and refs. Segments are
   * the store's own index: worked out the same way insertTurn does.
   */
  private async insertTreeRows(tx: Q, graph: { turns: readonly TurnRow[]; outputs: readonly OutputRow[]; refs: readonly RefRow[] }): Promise<void> {
    const segments = segmentsOf(graph.turns);
    for (const turn of graph.turns) {
      await tx.insert(turns).values({ ...turn, segmentId: segments.get(turn.id)! });
      await this.notify(tx, turn.sessionId, turn.id);
    }
    if (graph.outputs.length > 0) await tx.insert(outputs).values([...graph.outputs]);
    if (graph.refs.length > 0) await tx.insert(refs).values([...graph.refs]);
  }

  // ---------------------------------------------------------------- HEAD, branches, redo stack
  // Each move locks the session row first and decides on what it then reads (see the class doc).

  async undoHead(sessionId: string): Promise<SessionRow> {
    return this.write(async (tx) => {
      const session = await this.lockSession(tx, sessionId);
      const parentId = session.headTurnId === null ? null : (await tx.select({ parentId: turns.parentId }).from(turns).where(eq(turns.id, session.headTurnId)))[0]?.parentId;
      if (parentId === null || parentId === undefined) throw new ConflictError('nothing to undo: HEAD is at the root', { sessionId });
      return this.writeHead(tx, session, parentId, [...session.redoStack, session.headTurnId!], 'follow');
    });
  }

  async redoHead(sessionId: string): Promise<SessionRow> {
    return this.write(async (tx) => {
      const session = await this.lockSession(tx, sessionId);
      const stack = [...session.redoStack];
      for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
        const [turn] = await tx.select({ parentId: turns.parentId, status: turns.status }).from(turns).where(eq(turns.id, id));
        if (!turn || turn.status === 'failed' || turn.status === 'cancelled') continue;
        if (turn.parentId !== session.headTurnId) break;
        return this.writeHead(tx, session, id, stack, 'follow');
      }
      throw new ConflictError('nothing to redo', { sessionId });
    });
  }

  async checkoutHead(sessionId: string, target: { turnId: string; branch?: string; expectHead?: string | null }): Promise<SessionRow | undefined> {
    return this.write(async (tx) => {
      const session = await this.lockSession(tx, sessionId);
      if (target.expectHead !== undefined && session.headTurnId !== target.expectHead) return undefined;
      if (target.branch === undefined) {
        await this.requireTurnInSession(tx, sessionId, target.turnId);
        return this.writeHead(tx, session, target.turnId, [], null);
      }
      const tip = (await this.refIn(tx, sessionId, target.branch))?.turnId;
      if (tip === undefined) throw new NotFoundError('branch', target.branch);
      return this.writeHead(tx, session, tip, [], target.branch);
    });
  }

  /** See SqliteSessionStore.writeHead: `follow` moves the attached branch along when it points at HEAD's turn. */
  private async writeHead(tx: Q, session: SessionRow, turnId: string, redoStack: readonly string[], ref: 'follow' | string | null): Promise<SessionRow> {
    let headRef: string | null = ref === 'follow' ? null : ref;
    if (ref === 'follow' && session.headRef !== null && session.headTurnId !== null) {
      const moved = await tx
        .update(refs)
        .set({ turnId })
        .where(and(eq(refs.sessionId, session.id), eq(refs.name, session.headRef), eq(refs.turnId, session.headTurnId)))
        .returning({ name: refs.name });
      if (moved.length === 1) headRef = session.headRef;
    }
    return this.moveHead(tx, session.id, turnId, redoStack, headRef);
  }

  private async moveHead(tx: Q, sessionId: string, turnId: string | null, redoStack: readonly string[], headRef: string | null): Promise<SessionRow> {
    const [row] = await tx.update(sessions).set({ headTurnId: turnId, redoStack: [...redoStack], headRef, updatedAt: this.now() }).where(eq(sessions.id, sessionId)).returning();
    if (!row) throw new NotFoundError('session', sessionId);
    return row;
  }

  /** After a turn failed or was cancelled: branches and HEAD on it step back to its nearest succeeded ancestor. */
  private async retreatFrom(tx: Q, turn: TurnRow): Promise<string | undefined> {
    const { rows } = await tx.execute<{ id: string }>(sql`with recursive up(id, parent_id, status, depth) as (
         select id, parent_id, status, depth from turns where id = ${turn.id}
         union all
         select t.id, t.parent_id, t.status, t.depth from turns t join up on t.id = up.parent_id
       ) select id from up where status = 'succeeded' order by depth desc limit 1`);
    const goodAncestor = rows[0]?.id;
    const session = await this.sessionOrThrow(tx, turn.sessionId);
    const redoStack = session.redoStack.filter((id) => id !== turn.id);
    if (goodAncestor !== undefined) await tx.update(refs).set({ turnId: goodAncestor }).where(and(eq(refs.sessionId, turn.sessionId), eq(refs.turnId, turn.id)));
    const onHead = session.headTurnId === turn.id && goodAncestor !== undefined;
    if (onHead || redoStack.length !== session.redoStack.length) await this.moveHead(tx, turn.sessionId, onHead ? goodAncestor : session.headTurnId, redoStack, session.headRef);
    return onHead ? goodAncestor : undefined;
  }

  async setRef(sessionId: string, name: string, turnId: string): Promise<RefRow> {
    validateRefName(name);
    return this.write(async (tx) => {
      await this.lockSession(tx, sessionId);
      await this.requireTurnInSession(tx, sessionId, turnId);
      return this.upsertRef(tx, sessionId, name, turnId);
    });
  }

  private async upsertRef(tx: Q, sessionId: string, name: string, turnId: string): Promise<RefRow> {
    const [row] = await tx
      .insert(refs)
      .values({ sessionId, name, turnId, createdAt: this.now() })
      .onConflictDoUpdate({ target: [refs.sessionId, refs.name], set: { turnId } })
      .returning();
    return row!;
  }

  async createRef(sessionId: string, name: string, turnId: string): Promise<RefRow> {
    validateRefName(name);
    return this.write(async (tx) => {
      await this.lockSession(tx, sessionId);
      await this.requireFreeBranch(tx, sessionId, name);
      await this.requireTurnInSession(tx, sessionId, turnId);
      return this.upsertRef(tx, sessionId, name, turnId);
    });
  }

  async reserveBranch(sessionId: string, name: BranchName, turnId: string): Promise<RefRow> {
    if (typeof name === 'string') validateRefName(name);
    return this.write(async (tx) => {
      await this.lockSession(tx, sessionId);
      await this.requireTurnInSession(tx, sessionId, turnId);
      const taken = await this.claimBranchName(tx, sessionId, name, turnId);
      return (await this.refIn(tx, sessionId, taken))!;
    });
  }

  async moveBranch(sessionId: string, name: string, turnId: string, options: { attachHead?: boolean } = {}): Promise<SessionRow> {
    return this.write(async (tx) => {
      await this.lockSession(tx, sessionId);
      await this.requireTurnInSession(tx, sessionId, turnId);
      const moved = await tx.update(refs).set({ turnId }).where(and(eq(refs.sessionId, sessionId), eq(refs.name, name))).returning({ name: refs.name });
      if (moved.length === 0) throw new NotFoundError('branch', name);
      if (options.attachHead) return this.moveHead(tx, sessionId, turnId, [], name);
      await tx.execute(sql`update sessions set head_ref = null where id = ${sessionId} and head_ref = ${name} and head_turn_id is distinct from ${turnId}`);
      return this.sessionOrThrow(tx, sessionId);
    });
  }

  async findRef(sessionId: string, name: string): Promise<RefRow | undefined> {
    return this.read((q) => this.refIn(q, sessionId, name));
  }

  private async refIn(q: Q, sessionId: string, name: string): Promise<RefRow | undefined> {
    const [row] = await q.select().from(refs).where(and(eq(refs.sessionId, sessionId), eq(refs.name, name)));
    return row;
  }

  async listRefs(sessionId: string): Promise<RefRow[]> {
    return this.read((q) => q.select().from(refs).where(eq(refs.sessionId, sessionId)).orderBy(sql`${refs.name} collate "C"`));
  }

  async deleteRef(sessionId: string, name: string): Promise<void> {
    await this.write(async (tx) => {
      await this.lockSession(tx, sessionId);
      await tx.execute(sql`update sessions set head_ref = null where id = ${sessionId} and head_ref = ${name}`);
      const deleted = await tx.delete(refs).where(and(eq(refs.sessionId, sessionId), eq(refs.name, name))).returning({ name: refs.name });
      if (deleted.length === 0) throw new NotFoundError('branch', name);
    });
  }

  async renameRef(sessionId: string, from: string, to: string): Promise<RefRow> {
    validateRefName(to);
    return this.write(async (tx) => {
      await this.lockSession(tx, sessionId);
      if (!(await this.refIn(tx, sessionId, from))) throw new NotFoundError('branch', from);
      await this.requireFreeBranch(tx, sessionId, to);
      await tx.execute(sql`update sessions set head_ref = ${to} where id = ${sessionId} and head_ref = ${from}`);
      const [row] = await tx.update(refs).set({ name: to }).where(and(eq(refs.sessionId, sessionId), eq(refs.name, from))).returning();
      return row!;
    });
  }

  /** Inside a transaction holding the session: creates the branch (a free numbered one for `{ numbered }`). */
  private async claimBranchName(tx: Q, sessionId: string, name: BranchName, turnId: string): Promise<string> {
    let chosen: string;
    if (typeof name === 'string') {
      await this.requireFreeBranch(tx, sessionId, name);
      chosen = name;
    } else {
      const taken = new Set((await tx.select({ name: refs.name }).from(refs).where(eq(refs.sessionId, sessionId))).map((r) => r.name));
      let i = 1;
      while (taken.has(`${name.numbered}-${i}`)) i++;
      chosen = `${name.numbered}-${i}`;
      validateRefName(chosen);
    }
    await tx.insert(refs).values({ sessionId, name: chosen, turnId, createdAt: this.now() });
    return chosen;
  }

  private async requireFreeBranch(tx: Q, sessionId: string, name: string): Promise<void> {
    if (await this.refIn(tx, sessionId, name)) throw new ConflictError(`branch '${name}' already exists`, { name });
    if (name.length < MIN_ID_PREFIX) return;
    const [turn] = await tx.select({ id: turns.id }).from(turns).where(and(eq(turns.sessionId, sessionId), sql`starts_with(${turns.id}, ${name})`)).limit(1);
    if (turn) throw branchReadsAsTurnId(name, turn.id);
  }

  /** A new turn id that no branch name of the session is the start of (see requireFreeBranch). */
  private async idNoBranchPrefixes(tx: Q, sessionId: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const id = this.newId();
      const { rows } = await tx.execute(sql`select 1 from refs where session_id = ${sessionId} and length(name) >= ${MIN_ID_PREFIX} and starts_with(${id}::text, name) limit 1`);
      if (rows.length === 0 || attempt >= 16) return id;
    }
  }

  private async requireTurnInSession(q: Q, sessionId: string, turnId: string): Promise<void> {
    const [turn] = await q.select({ sessionId: turns.sessionId }).from(turns).where(eq(turns.id, turnId));
    if (!turn) throw new NotFoundError('turn', turnId);
    if (turn.sessionId !== sessionId) throw new NotFoundError('turn', turnId, `turn '${turnId}' is not in session '${sessionId}'`);
  }

  // ---------------------------------------------------------------- turns

  async appendTurn(input: NewTurn, options: AppendOptions = {}): Promise<TurnRow> {
    return this.write((tx) => this.insertTurn(tx, input, options));
  }

  async appendChain(
    sessionId: string,
    parentId: string,
    steps: readonly { turn: Omit<NewTurn, 'sessionId' | 'parentId' | 'status'>; outputs: readonly NewOutput[]; patch?: TurnPatch }[],
    options: { branch?: BranchName } = {},
  ): Promise<{ turns: TurnRow[]; branch?: string }> {
    if (typeof options.branch === 'string') validateRefName(options.branch);
    return this.write(async (tx) => {
      const written: TurnRow[] = [];
      let parent = parentId;
      for (const step of steps) {
        const row = await this.insertTurn(tx, { ...step.turn, sessionId, parentId: parent }, { complete: { outputs: step.outputs, patch: step.patch } });
        written.push(row);
        parent = row.id;
      }
      if (options.branch === undefined) return { turns: written };
      const branch = await this.claimBranchName(tx, sessionId, options.branch, parent);
      await this.moveHead(tx, sessionId, parent, [], branch);
      return { turns: written, branch };
    });
  }

  private async insertTurn(tx: Q, input: NewTurn, options: AppendOptions): Promise<TurnRow> {
    await this.lockSession(tx, input.sessionId);
    const id = await this.idNoBranchPrefixes(tx, input.sessionId);
    let depth = 0;
    let segmentId = id;
    if (input.parentId !== null) {
      const [parent] = await tx.select({ sessionId: turns.sessionId, depth: turns.depth, segmentId: turns.segmentId }).from(turns).where(eq(turns.id, input.parentId));
      if (!parent) throw new NotFoundError('turn', input.parentId, `parent turn '${input.parentId}' not found`);
      if (parent.sessionId !== input.sessionId) {
        throw new ValidationError([
          { field: 'parentId', message: `turn '${input.parentId}' belongs to another session; a parent must be a turn of session '${input.sessionId}'` },
        ]);
      }
      depth = parent.depth + 1;
      if (parent.segmentId !== null) {
        const [sibling] = await tx.select({ id: turns.id }).from(turns).where(and(eq(turns.segmentId, parent.segmentId), eq(turns.depth, depth)));
        if (!sibling) segmentId = parent.segmentId;
      }
    }
    if (options.reserveMicros !== undefined) {
      const { budget, spent } = await this.budgetAndSpend(tx, input.sessionId);
      if (budget !== null && spent + options.reserveMicros > budget) throw new BudgetExceededError(budget, spent, options.reserveMicros);
    }
    const now = this.now();
    const row = newTurnRow(id, depth, input, options, now);
    await tx.insert(turns).values({ ...row, segmentId });
    const newBlobs = options.complete?.newBlobs ?? [];
    if (newBlobs.length > 0) await tx.insert(blobs).values(newBlobs.map((b) => ({ ...b, createdAt: this.now() }))).onConflictDoNothing();
    if (options.complete) await this.insertOutputs(tx, id, options.complete.outputs);
    if (options.moveHead) {
      const attached =
        input.parentId === null
          ? undefined
          : (await tx.execute<{ name: string }>(sql`select refs.name from sessions join refs on refs.session_id = sessions.id and refs.name = sessions.head_ref where sessions.id = ${input.sessionId} and refs.turn_id = ${input.parentId}`)).rows[0]?.name;
      await this.moveHead(tx, input.sessionId, id, [], attached ?? null);
      if (attached) await tx.update(refs).set({ turnId: id }).where(and(eq(refs.sessionId, input.sessionId), eq(refs.name, attached)));
    } else {
      await tx.update(sessions).set({ updatedAt: now }).where(eq(sessions.id, input.sessionId));
    }
    await this.notify(tx, input.sessionId, id);
    return row;
  }

  private async budgetAndSpend(q: Q, sessionId: string): Promise<{ budget: number | null; spent: number }> {
    const { rows } = await q.execute<{ budget: string | null; spent: string }>(
      sql`select budget_micros as budget, (select coalesce(sum(cost_micros), 0) from turns where session_id = sessions.id) as spent from sessions where id = ${sessionId}`,
    );
    if (!rows[0]) throw new NotFoundError('session', sessionId);
    return { budget: rows[0].budget === null ? null : Number(rows[0].budget), spent: Number(rows[0].spent) };
  }

  private async insertOutputs(tx: Q, turnId: string, rows: readonly NewOutput[]): Promise<void> {
    if (rows.length > 0) await tx.insert(outputs).values(rows.map((o) => ({ ...o, turnId })));
  }

  async getTurn(id: string): Promise<TurnRow> {
    return this.read((q) => this.turnOrThrow(q, id));
  }

  async findTurn(id: string): Promise<TurnRow | undefined> {
    return this.read((q) => this.turnIn(q, id));
  }

  private async turnIn(q: Q, id: string): Promise<TurnRow | undefined> {
    const [row] = await q.select(turnColumns).from(turns).where(eq(turns.id, id));
    return row;
  }

  private async turnOrThrow(q: Q, id: string): Promise<TurnRow> {
    const turn = await this.turnIn(q, id);
    if (!turn) throw new NotFoundError('turn', id);
    return turn;
  }

  async findTurnsByPrefix(prefix: string, options: { sessionId?: string; limit?: number } = {}): Promise<TurnRow[]> {
    if (!ID_ALPHABET_RE.test(prefix)) return [];
    // starts_with: a literal, case-sensitive comparison (LIKE would read `_` as a wildcard).
    const where = and(sql`starts_with(${turns.id}, ${prefix})`, options.sessionId ? eq(turns.sessionId, options.sessionId) : undefined);
    return this.read((q) => q.select(turnColumns).from(turns).where(where).limit(options.limit ?? 10));
  }

  async transitionTurn(id: string, to: TurnStatus, patch: TurnPatch = {}): Promise<TurnRow> {
    return this.write(async (tx) => {
      const [row] = await tx.update(turns).set({ ...definedOnly(patch), status: to }).where(and(eq(turns.id, id), inArray(turns.status, statusesInto(to)))).returning(turnColumns);
      if (!row) throw await this.refusedMove(tx, id, to);
      await this.notify(tx, row.sessionId, row.id);
      return row;
    });
  }

  async endUnfinishedTurn(id: string, to: 'failed' | 'cancelled', patch: TurnPatch = {}): Promise<{ turn: TurnRow; headMovedTo?: string }> {
    return this.write(async (tx) => {
      await this.lockSessionOfTurn(tx, id);
      const [turn] = await tx
        .update(turns)
        .set({ costMicros: 0, ...definedOnly(patch), status: to })
        .where(and(eq(turns.id, id), inArray(turns.status, statusesInto(to))))
        .returning(turnColumns);
      if (!turn) throw await this.refusedMove(tx, id, to);
      await this.notify(tx, turn.sessionId, turn.id);
      return { turn, headMovedTo: await this.retreatFrom(tx, turn) };
    });
  }

  async patchTurn(id: string, patch: TurnPatch): Promise<TurnRow> {
    const fields = definedOnly(patch);
    if (Object.keys(fields).length === 0) return this.getTurn(id);
    return this.write(async (tx) => {
      const [row] = await tx.update(turns).set(fields).where(eq(turns.id, id)).returning(turnColumns);
      if (!row) throw new NotFoundError('turn', id);
      await this.notify(tx, row.sessionId, row.id);
      return row;
    });
  }

  async markSubmitAttempt(id: string, owner: string, params: Record<string, unknown>, at: Date, costMicros: number): Promise<TurnRow | undefined> {
    return this.write(async (tx) => {
      // The session first: two sends racing for the last of a budget are decided one after the other.
      if (!(await this.lockSessionOfTurn(tx, id))) return undefined;
      const [turn] = await tx
        .update(turns)
        .set({ params, submitAttemptedAt: at, costMicros })
        .where(and(eq(turns.id, id), eq(turns.status, 'pending'), eq(turns.leaseOwner, owner)))
        .returning(turnColumns);
      if (!turn) return undefined;
      const { budget, spent } = await this.budgetAndSpend(tx, turn.sessionId);
      if (budget !== null && spent > budget) throw new BudgetExceededError(budget, spent - costMicros, costMicros);
      await this.notify(tx, turn.sessionId, turn.id);
      return turn;
    });
  }

  async completeTurn(id: string, newOutputs: readonly NewOutput[], patch: TurnPatch = {}, newBlobs: readonly NewBlob[] = []): Promise<TurnRow> {
    return this.write(async (tx) => {
      if (newBlobs.length > 0) await tx.insert(blobs).values(newBlobs.map((b) => ({ ...b, createdAt: this.now() }))).onConflictDoNothing();
      const [row] = await tx
        .update(turns)
        .set({ ...definedOnly(patch), status: 'succeeded' })
        .where(and(eq(turns.id, id), inArray(turns.status, statusesInto('succeeded'))))
        .returning(turnColumns);
      if (!row) throw await this.refusedMove(tx, id, 'succeeded');
      await this.insertOutputs(tx, id, newOutputs);
      await this.notify(tx, row.sessionId, row.id);
      return row;
    });
  }

  async selectOutput(turnId: string, index: number): Promise<TurnRow> {
    const turn = await this.getTurn(turnId);
    const count = (await this.outputsOf(turnId)).length;
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new ValidationError([
        { field: 'candidate', message: count === 0 ? `turn '${turnId}' has no outputs (status ${turn.status})` : `${index} is not an output of turn '${turnId}'; allowed: 0 to ${count - 1}` },
      ]);
    }
    return this.patchTurn(turnId, { selectedOutput: index });
  }

  async inputSource(parentId: string, blobHash: string): Promise<{ providerUrl: string | null; urlProvider: string | null; contentType: string | null }> {
    const { rows } = await this.read((q) =>
      q.execute<{ provider_url: string | null; provider: string | null; content_type: string | null }>(sql`select outputs.provider_url, parent.provider, coalesce(blobs.content_type, outputs.content_type) as content_type
       from turns parent
       left join outputs on outputs.turn_id = parent.id and outputs.blob_hash = ${blobHash}
       left join blobs on blobs.hash = ${blobHash}
       where parent.id = ${parentId}
       order by outputs.idx limit 1`),
    );
    if (!rows[0]) throw new NotFoundError('turn', parentId);
    return { providerUrl: rows[0].provider_url, urlProvider: rows[0].provider, contentType: rows[0].content_type };
  }

  async outputsOf(turnId: string): Promise<OutputRow[]> {
    return this.read((q) => this.outputsIn(q, turnId));
  }

  private async outputsIn(q: Q, turnId: string): Promise<OutputRow[]> {
    return q.select().from(outputs).where(eq(outputs.turnId, turnId)).orderBy(asc(outputs.index));
  }

  async outputsOfMany(turnIds: readonly string[]): Promise<Map<string, OutputRow[]>> {
    const byTurn = new Map<string, OutputRow[]>();
    if (turnIds.length === 0) return byTurn;
    const rows = await this.read((q) => q.select().from(outputs).where(inArray(outputs.turnId, [...turnIds])).orderBy(asc(outputs.turnId), asc(outputs.index)));
    for (const row of rows) {
      const list = byTurn.get(row.turnId);
      if (list) list.push(row);
      else byTurn.set(row.turnId, [row]);
    }
    return byTurn;
  }

  async headOf(sessionId: string): Promise<{ session: SessionRow; head: TurnRow | undefined; headOutputs: OutputRow[] }> {
    return this.snapshot(async (tx) => {
      const session = await this.sessionOrThrow(tx, sessionId);
      const head = session.headTurnId === null ? undefined : await this.turnIn(tx, session.headTurnId);
      return { session, head, headOutputs: head ? await this.outputsIn(tx, head.id) : [] };
    });
  }

  async turnWithOutputs(id: string): Promise<{ turn: TurnRow; outputs: OutputRow[] }> {
    return this.snapshot(async (tx) => ({ turn: await this.turnOrThrow(tx, id), outputs: await this.outputsIn(tx, id) }));
  }

  async pathIds(turnId: string): Promise<string[]> {
    const { rows } = await this.read((q) =>
      q.execute<{ n: number; ids: string }>(sql`${pathSegments(turnId)}
        select n, (select string_agg(id, ' ' order by depth) from turns where segment_id = segs.seg and depth <= segs.max_depth) as ids from segs order by n desc`),
    );
    if (rows.length === 0) throw new NotFoundError('turn', turnId);
    return rows.flatMap((row) => row.ids.split(' '));
  }

  async path(turnId: string): Promise<TurnRow[]> {
    const rows = await this.read((q) => q.select(turnColumns).from(turns).innerJoin(pathSegmentsTable(turnId), onPath));
    return placeByDepth(rows, turnId);
  }

  async pathSummaries(turnId: string): Promise<TurnSummary[]> {
    const rows = await this.read((q) => q.select(summaryColumns).from(turns).innerJoin(pathSegmentsTable(turnId), onPath));
    return placeByDepth(rows as unknown as TurnSummary[], turnId);
  }

  async children(turnId: string): Promise<TurnRow[]> {
    return this.read((q) => q.select(turnColumns).from(turns).where(eq(turns.parentId, turnId)).orderBy(asc(turns.createdAt), sql`${turns.id} collate "C"`));
  }

  async subtree(turnId: string): Promise<TurnRow[]> {
    const rows = await this.read((q) => q.select(turnColumns).from(turns).where(inArray(turns.id, subtreeIds(turnId))).orderBy(...TREE_ORDER));
    if (rows.length === 0) throw new NotFoundError('turn', turnId);
    return rows;
  }

  async listTurns(sessionId: string): Promise<TurnRow[]> {
    return this.read((q) => q.select(turnColumns).from(turns).where(eq(turns.sessionId, sessionId)).orderBy(...TREE_ORDER));
  }

  async turnSummaries(sessionId: string): Promise<IterableIterator<TurnSummary>> {
    const rows = await this.read((q) => q.select(summaryColumns).from(turns).where(eq(turns.sessionId, sessionId)).orderBy(...TREE_ORDER));
    return rows[Symbol.iterator]();
  }

  async inFlightTurns(sessionId?: string): Promise<TurnRow[]> {
    const where = sessionId ? and(IN_FLIGHT, eq(turns.sessionId, sessionId)) : IN_FLIGHT;
    return this.read((q) => q.select(turnColumns).from(turns).where(where).orderBy(asc(turns.createdAt)));
  }

  async findMemo(key: { endpointId: string; inputBlob: string | null; referenceBlobs?: readonly string[]; seed: number; params: Record<string, unknown> }): Promise<TurnRow | undefined> {
    const candidates = await this.read((q) =>
      q
        .select(turnColumns)
        .from(turns)
        .where(and(eq(turns.endpointId, key.endpointId), sql`${turns.inputBlob} is not distinct from ${key.inputBlob}`, eq(turns.seedRequested, key.seed), eq(turns.status, 'succeeded'))),
    );
    return candidates.find((t) => sameRequestBesideImages(t, key));
  }

  /** The unfinished turn a provider's job belongs to, if any (a webhook names its job by the provider's request id). */
  async findInFlightTurnByRequest(provider: string, requestId: string): Promise<TurnRow | undefined> {
    const [row] = await this.read((q) =>
      q.select(turnColumns).from(turns).where(and(IN_FLIGHT, eq(turns.provider, provider), eq(turns.requestId, requestId))).limit(1),
    );
    return row;
  }

  // ---------------------------------------------------------------- fork and pins

  /**
   * Copies the path root → `turnId` (or with `whole` the session's whole tree) into a new
   * session of the same owner, in one transaction that holds the source session's lock while
   * it reads what it copies.
   */
  async forkSession(turnId: string, options: { whole?: boolean; title?: string } = {}): Promise<{ session: SessionRow; copies: Map<string, string>; skipped: string[] }> {
    return this.write(async (tx) => {
      const found = await this.turnOrThrow(tx, turnId);
      const source = await this.lockSession(tx, found.sessionId);
      const target = await this.turnOrThrow(tx, turnId);
      if (target.status !== 'succeeded') throw forkRefused(target);
      const copied = options.whole
        ? await tx.select(turnColumns).from(turns).where(eq(turns.sessionId, source.id)).orderBy(...TREE_ORDER)
        : placeByDepth(await tx.select(turnColumns).from(turns).innerJoin(pathSegmentsTable(turnId), onPath), turnId);
      const ids = copied.map((t) => t.id);
      const copiedOutputs = await tx.select().from(outputs).where(inArray(outputs.turnId, ids)).orderBy(asc(outputs.turnId), asc(outputs.index));
      const copiedRefs = options.whole ? await tx.select().from(refs).where(eq(refs.sessionId, source.id)) : [];
      const plan = planFork(
        { session: source, turns: copied, outputs: copiedOutputs, refs: copiedRefs, targetId: turnId },
        { title: options.title ?? forkTitle(source), now: this.now(), newSessionId: this.newId(), newTurnId: (avoid) => idAvoidingPrefixes(this.newId, avoid) },
      );
      await tx.insert(sessions).values(plan.session);
      await this.insertTreeRows(tx, plan);
      return { session: plan.session, copies: plan.copies, skipped: plan.skipped };
    });
  }

  /**
   * Pins a turn as a favourite, or unpins it (both idempotent: pinning again keeps the first
   * pin's time, which orders the list). Only a succeeded turn can be pinned.
   */
  async setPinned(turnId: string, pinned: boolean): Promise<TurnRow> {
    const [row] = await this.read((q) =>
      pinned
        ? q.update(turns).set({ pinnedAt: sql`coalesce(${turns.pinnedAt}, ${this.now()})` }).where(and(eq(turns.id, turnId), eq(turns.status, 'succeeded'))).returning(turnColumns)
        : q.update(turns).set({ pinnedAt: null }).where(eq(turns.id, turnId)).returning(turnColumns),
    );
    if (row) return row;
    const [current] = await this.read((q) => q.select({ status: turns.status }).from(turns).where(eq(turns.id, turnId)));
    throw pinRefused(turnId, current?.status);
  }

  /** A session's pinned turns, in the order they were pinned. */
  async pinnedTurns(sessionId: string): Promise<TurnRow[]> {
    return this.read((q) =>
      q.select(turnColumns).from(turns).where(and(eq(turns.sessionId, sessionId), sql`${turns.pinnedAt} is not null`)).orderBy(asc(turns.pinnedAt), sql`${turns.id} collate "C"`),
    );
  }

  async deleteSubtree(turnId: string, options: { deleteBranches?: boolean } = {}): Promise<SubtreeDeletion> {
    return this.write(async (tx) => {
      const [top] = await tx.select({ sessionId: turns.sessionId, parentId: turns.parentId }).from(turns).where(eq(turns.id, turnId));
      if (!top) throw new NotFoundError('turn', turnId);
      const { sessionId, parentId } = top;
      if (parentId === null) throw new ConflictError('the root turn cannot be deleted on its own; delete the session instead', { sessionId, turnId });
      const session = await this.lockSession(tx, sessionId);
      const rows = await tx.select({ id: turns.id, status: turns.status }).from(turns).where(inArray(turns.id, subtreeIds(turnId))).orderBy(...TREE_ORDER);
      const running = rows.filter((r) => IN_FLIGHT_STATUSES.includes(r.status)).map((r) => r.id);
      if (running.length > 0) throw new ConflictError(`${running.length} turn(s) in this subtree are still running; cancel them or wait, then delete`, { turnId, running });
      const deleted = new Set(rows.map((r) => r.id));
      const branchesInside = (await tx.select({ name: refs.name, turnId: refs.turnId }).from(refs).where(eq(refs.sessionId, sessionId)))
        .filter((r) => deleted.has(r.turnId))
        .map((r) => r.name);
      if (!options.deleteBranches && branchesInside.length > 0) await tx.update(refs).set({ turnId: parentId }).where(and(eq(refs.sessionId, sessionId), inArray(refs.name, branchesInside)));
      const headInside = session.headTurnId !== null && deleted.has(session.headTurnId);
      const headRef = headInside && (options.deleteBranches || session.headRef === null) ? null : session.headRef;
      const redoStack = session.redoStack.filter((id) => !deleted.has(id));
      await tx.delete(turns).where(eq(turns.id, turnId));
      await this.moveHead(tx, sessionId, headInside ? parentId : session.headTurnId, redoStack, headRef);
      for (const id of deleted) await this.notify(tx, sessionId, id);
      return {
        sessionId,
        parentId,
        deletedTurnIds: rows.map((r) => r.id),
        ...(options.deleteBranches ? { deletedBranches: branchesInside, movedBranches: [] } : { deletedBranches: [], movedBranches: branchesInside }),
        headMovedTo: headInside ? parentId : undefined,
      };
    });
  }

  // ---------------------------------------------------------------- leases

  async claimTurn(turnId: string, owner: string, ttlMs: number, isHolderGone: (holder: string) => boolean = () => false): Promise<TurnRow | undefined> {
    return this.write(async (tx) => {
      // The turn row locked: a second claimer waits here, then sees the first one's lease.
      const [turn] = await tx.select(turnColumns).from(turns).where(eq(turns.id, turnId)).for('update');
      if (!turn) throw new NotFoundError('turn', turnId);
      if (!IN_FLIGHT_STATUSES.includes(turn.status)) return undefined;
      const now = this.now().getTime();
      if (holdsFreshLease(turn, owner, now, ttlMs)) return turn;
      const { leaseOwner, leaseExpiresAt } = turn;
      const free = leaseOwner === null || leaseOwner === owner || (leaseExpiresAt !== null && leaseExpiresAt.getTime() <= now) || isHolderGone(leaseOwner);
      if (!free) return undefined;
      const [taken] = await tx
        .update(turns)
        .set({ leaseOwner: owner, leaseExpiresAt: new Date(now + ttlMs) })
        .where(and(eq(turns.id, turnId), leaseOwner === null ? isNull(turns.leaseOwner) : eq(turns.leaseOwner, leaseOwner)))
        .returning(turnColumns);
      return taken;
    });
  }

  async renewLeases(owner: string, ttlMs: number): Promise<number> {
    const renewed = await this.read((q) =>
      q
        .update(turns)
        .set({ leaseExpiresAt: new Date(this.now().getTime() + ttlMs) })
        .where(and(eq(turns.leaseOwner, owner), IN_FLIGHT))
        .returning({ id: turns.id }),
    );
    return renewed.length;
  }

  async releaseTurn(turnId: string, owner: string): Promise<void> {
    await this.read((q) => q.update(turns).set({ leaseOwner: null, leaseExpiresAt: null }).where(and(eq(turns.id, turnId), eq(turns.leaseOwner, owner))));
  }

  // ---------------------------------------------------------------- blobs

  async recordBlob(blob: NewBlob): Promise<BlobRow> {
    await this.read((q) => q.insert(blobs).values({ ...blob, createdAt: this.now() }).onConflictDoNothing());
    return (await this.findBlob(blob.hash))!;
  }

  async findBlob(hash: string): Promise<BlobRow | undefined> {
    const [row] = await this.read((q) => q.select().from(blobs).where(eq(blobs.hash, hash)));
    return row;
  }

  /**
   * For archive collection, as of one moment (one snapshot): every blob hash a row refers to,
   * and when the oldest unfinished turn was written (null when none is).
   */
  async blobReferences(): Promise<{ referenced: Set<string>; oldestInFlightAt: Date | null }> {
    return this.snapshot(async (tx) => {
      const { rows } = await tx.execute<{ hash: string }>(sql.raw(`select hash from (${REFERENCED_BLOBS}) as referenced(hash)`));
      const [oldest] = await tx.select({ at: sql<Date | null>`min(${turns.createdAt})`.mapWith(turns.createdAt) }).from(turns).where(IN_FLIGHT);
      return { referenced: new Set(rows.map((r) => r.hash)), oldestInFlightAt: oldest?.at ?? null };
    });
  }

  /**
   * Of `hashes`, those no row refers to now, with their metadata rows deleted (`dryRun`: only
   * found). The tables that refer to blobs are locked against writers (SHARE) for the moment
   * of the check and delete, so no turn can take up a blob between the two.
   */
  async releaseUnreferencedBlobs(hashes: readonly string[], options: { dryRun?: boolean } = {}): Promise<{ hashes: string[]; rows: number }> {
    return this.write(async (tx) => {
      if (!options.dryRun) await tx.execute(sql`lock table turns, outputs in share mode`);
      const { rows } = await tx.execute<{ hash: string }>(
        sql`select h as hash from jsonb_array_elements_text(${JSON.stringify(hashes)}::jsonb) as h where h not in (${sql.raw(REFERENCED_BLOBS)})`,
      );
      const free = rows.map((r) => r.hash);
      if (free.length === 0) return { hashes: free, rows: 0 };
      if (options.dryRun) {
        const [count] = await tx.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(blobs).where(inArray(blobs.hash, free));
        return { hashes: free, rows: count!.n };
      }
      const deleted = await tx.delete(blobs).where(inArray(blobs.hash, free)).returning({ hash: blobs.hash });
      return { hashes: free, rows: deleted.length };
    });
  }

  // ---------------------------------------------------------------- plumbing

  /** The session row, locked against every other writer of the session until the transaction ends. */
  private async lockSession(tx: Q, sessionId: string): Promise<SessionRow> {
    const [row] = await tx.select().from(sessions).where(eq(sessions.id, sessionId)).for('no key update');
    if (!row) throw new NotFoundError('session', sessionId);
    return row;
  }

  /** Locks the session of a turn (a turn never changes session); false when there is no such turn. */
  private async lockSessionOfTurn(tx: Q, turnId: string): Promise<boolean> {
    const [turn] = await tx.select({ sessionId: turns.sessionId }).from(turns).where(eq(turns.id, turnId));
    if (!turn) return false;
    await this.lockSession(tx, turn.sessionId);
    return true;
  }

  private async notify(tx: Q, sessionId: string, turnId: string): Promise<void> {
    await tx.execute(sql`select pg_notify(${TURN_CHANNEL}, ${`${sessionId} ${turnId}`})`);
  }

  private async refusedMove(q: Q, id: string, to: TurnStatus): Promise<KontextError> {
    const [current] = await q.select({ status: turns.status }).from(turns).where(eq(turns.id, id));
    if (!current) return new NotFoundError('turn', id);
    return new ConflictError(`turn '${id}' cannot move from ${current.status} to ${to}`, { turnId: id, from: current.status, to });
  }

  private write<T>(fn: (tx: Q) => Promise<T>): Promise<T> {
    return this.retrying(() => this.db.transaction(fn));
  }

  /** A read of one moment: one repeatable-read, read-only transaction. */
  private snapshot<T>(fn: (tx: Q) => Promise<T>): Promise<T> {
    return this.retrying(() => this.db.transaction(fn, { isolationLevel: 'repeatable read', accessMode: 'read only' }));
  }

  private read<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    return this.retrying(() => fn(this.db));
  }

  /**
   * Runs `attempt` again after a deadlock or serialization failure (rolled back, so safe), and
   * while the server is unreachable (a restart) for up to reconnectWindowMs, then answers BUSY.
   * A failure of the store's own rules (not found, conflict, budget) passes straight through.
   */
  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.reconnectWindowMs;
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (isKontextError(error)) throw error;
        const code = sqlState(error);
        if (code !== undefined && RERUN_CODES.has(code) && tries < 10) continue;
        if (isConnectionError(error) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** Math.min(tries, 5), 2_000)));
          continue;
        }
        throw this.typed(error);
      }
    }
  }

  /** The error a caller sees: BUSY for an unreachable server or a timeout, the schema hint for a missing table. */
  private typed(error: unknown): unknown {
    const code = sqlState(error);
    if (isConnectionError(error)) return new StoreBusyError({ message: `PostgreSQL is unreachable (${this.redact(error)}); try again in a moment`, cause: error });
    if (code === '57014') return new StoreBusyError({ message: 'a PostgreSQL statement ran past the statement timeout and was cancelled; try again in a moment', cause: error });
    if (code === '42P01' || code === '42703') {
      return new ValidationError([{ field: 'db', message: 'the PostgreSQL database has no kontext schema yet, or an older one: run `kontext migrate --db <url>` first' }]);
    }
    return error;
  }

  private redact(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return redactPassword(message, this.url);
  }
}

/** `'pending', 'submitted'`: the statuses a turn may move to `to` from. */
function statusesInto(to: TurnStatus): TurnStatus[] {
  return (Object.keys(TURN_TRANSITIONS) as TurnStatus[]).filter((from) => canTransition(from, to));
}

/** The segments on the path to a turn, nearest first (see SqliteSessionStore's PATH_SEGMENTS). */
function pathSegments(turnId: string): SQL {
  return sql`with recursive segs(n, seg, max_depth) as (
    select 0, segment_id, depth from turns where id = ${turnId}
    union all
    select segs.n + 1, parent.segment_id, parent.depth
    from segs join turns head_turn on head_turn.id = segs.seg join turns parent on parent.id = head_turn.parent_id
  )`;
}

/** The segments on a path as a joinable subquery (`path_segs(seg, max_depth)`). */
function pathSegmentsTable(turnId: string): SQL {
  return sql`(${pathSegments(turnId)} select seg, max_depth from segs) as path_segs`;
}

const onPath = sql`${turns.segmentId} = path_segs.seg and ${turns.depth} <= path_segs.max_depth`;

/** Depth is the position on a path: every turn lands in its place without a sort. */
function placeByDepth<Row extends { depth: number }>(rows: readonly Row[], turnId: string): Row[] {
  if (rows.length === 0) throw new NotFoundError('turn', turnId);
  const path = new Array<Row>(rows.length);
  for (const row of rows) path[row.depth] = row;
  return path;
}

/** The ids of a turn and all its descendants. */
function subtreeIds(turnId: string): SQL {
  return sql`(with recursive down(id) as (
    select id from turns where id = ${turnId}
    union all
    select t.id from turns t join down on t.parent_id = down.id
  ) select id from down)`;
}

/** The SQLSTATE of a pg error, looking through drizzle's wrapper. */
function sqlState(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

function isConnectionError(error: unknown): boolean {
  const code = sqlState(error);
  if (code !== undefined && CONNECTION_CODES.has(code)) return true;
  for (let e = error as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(e.message)) return true;
  }
  return false;
}

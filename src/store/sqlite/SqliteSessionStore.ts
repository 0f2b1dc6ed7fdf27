import type Database from 'better-sqlite3';
import { BudgetExceededError } from '../../errors/BudgetExceededError.js';
import { ConflictError } from '../../errors/ConflictError.js';
import { NotFoundError } from '../../errors/NotFoundError.js';
import { StoreBusyError } from '../../errors/StoreBusyError.js';
import type { KontextError } from '../../errors/KontextError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import { sameRequestBesideImages } from '../canonicalJson.js';
import { holdsFreshLease } from '../leases.js';
import { branchReadsAsTurnId, ID_ALPHABET_RE, idAvoidingPrefixes, MIN_ID_PREFIX, newTurnId, validateRefName } from '../refNames.js';
import { forkTitle, planFork } from '../planFork.js';
import { forkRefused, pinRefused } from '../refusals.js';
import { definedOnly, newTurnRow, segmentsOf } from '../newRows.js';
import type { AppendOptions, BranchName, NewBlob, NewOutput, NewSession, NewTurn, SessionGraph, SessionPatch, SubtreeDeletion, TurnPatch, TurnSummary } from '../repositories.js';
import type { BlobRow, OutputRow, RefRow, SessionRow, TurnRow, TurnStatus } from '../rows.js';
import type { SessionStore } from '../SessionStore.js';
import { canTransition, IN_FLIGHT_STATUSES, TURN_TRANSITIONS } from '../transitions.js';
import { openDatabase, type OpenDatabaseOptions } from './openDatabase.js';
import { blobCodec, outputCodec, refCodec, sessionCodec, turnCodec, type RowCodec } from './rowCodecs.js';

export interface OpenStoreOptions extends OpenDatabaseOptions {
  /** Turn and session id generator; tests pass a deterministic one. */
  newId?: () => string;
  /** Clock for created/updated times. */
  now?: () => Date;
}

/**
 * The SQLite implementation of {@link SessionStore}: one file (or `:memory:`), shared by the
 * processes of one machine. Every method that writes more than one row is one transaction.
 *
 * drizzle owns the schema and the migrations (loaded only when one is pending); the queries themselves are plain SQL run as
 * prepared statements, each prepared once per store and cached, with rows decoded by
 * rowCodecs.ts. An edit turn makes about twenty store calls, and building and preparing each
 * through the query builder cost more CPU than everything else in the turn together.
 */
export class SqliteSessionStore implements SessionStore {
  private readonly newId: () => string;
  private readonly now: () => Date;
  private readonly statements = new Map<string, Database.Statement>();
  /** Writes: BEGIN IMMEDIATE, so a transaction that reads then writes holds the write lock from its first read. */
  private readonly writeTransaction: (fn: () => unknown) => unknown;
  /** Reads that must see one moment (a turn beside its outputs): a plain deferred transaction. */
  private readonly readTransaction: (fn: () => unknown) => unknown;

  /** @param sqlite the open better-sqlite3 connection (tests and benchmarks read it directly). */
  private constructor(readonly sqlite: Database.Database, options: OpenStoreOptions) {
    this.newId = options.newId ?? newTurnId;
    this.now = options.now ?? (() => new Date());
    // One transaction function for the life of the store; the work to do is its argument.
    // A deferred transaction that first reads and then writes cannot wait for the write lock
    // (SQLite answers SQLITE_BUSY at once, busy_timeout or not), so every write takes it up front.
    const transaction = this.sqlite.transaction((fn: () => unknown) => fn());
    this.writeTransaction = (fn) => transaction.immediate(fn);
    this.readTransaction = (fn) => transaction.deferred(fn);
  }

  /** Opens a SQLite file (created and migrated as needed) or `:memory:`. */
  static open(file: string, options: OpenStoreOptions = {}): SqliteSessionStore {
    return new SqliteSessionStore(openDatabase(file, options), options);
  }

  static inMemory(options: OpenStoreOptions = {}): SqliteSessionStore {
    return SqliteSessionStore.open(':memory:', options);
  }

  close(): void {
    this.statements.clear();
    this.sqlite.close();
  }

  // ---------------------------------------------------------------- sessions

  async createSession(input: NewSession): Promise<SessionRow> {
    return this.insertSession(input);
  }

  private insertSession(input: NewSession): SessionRow {
    const now = this.now();
    const row: SessionRow = {
      id: this.newId(),
      title: input.title ?? '',
      owner: input.owner ?? null,
      headTurnId: null,
      headRef: null,
      redoStack: [],
      defaultEndpoint: input.defaultEndpoint,
      defaultParams: input.defaultParams ?? {},
      budgetMicros: input.budgetMicros ?? null,
      quality: input.quality ?? {},
      createdAt: now,
      updatedAt: now,
    };
    this.run(INSERT_SESSION, ...sessionCodec.encodeRow(row));
    return row;
  }

  /**
   * Creates a session whose root turn is an existing image, with branch `main` on it and HEAD
   * attached: one transaction, so a session never exists without its root.
   */
  async createSessionFromImage(input: NewSession, image: NewOutput, rootPatch: TurnPatch = {}): Promise<{ session: SessionRow; root: TurnRow }> {
    return this.transactionally(() => {
      const created = this.insertSession(input);
      const root = this.insertTurn({ sessionId: created.id, parentId: null, kind: 'source' }, { complete: { outputs: [image], patch: rootPatch } });
      this.run(INSERT_REF, created.id, 'main', root.id, this.now().getTime());
      const session = this.sessionOrThrow(this.one(`update sessions set head_turn_id = ?, head_ref = 'main' where id = ? returning ${sessionCodec.select}`, root.id, created.id), created.id);
      return { session, root };
    });
  }

  /**
   * Creates a session whose root turn is a text-to-image generation still to run, with branch
   * `main` on it and HEAD attached: one transaction, so a start killed midway leaves nothing.
   */
  async createSessionFromPrompt(input: NewSession, root: Omit<NewTurn, 'sessionId' | 'parentId'>, options: Pick<AppendOptions, 'lease' | 'reserveMicros'> = {}): Promise<{ session: SessionRow; root: TurnRow }> {
    return this.transactionally(() => {
      const created = this.insertSession(input);
      const turn = this.insertTurn({ ...root, sessionId: created.id, parentId: null }, options);
      this.run(INSERT_REF, created.id, 'main', turn.id, this.now().getTime());
      const session = this.sessionOrThrow(this.one(`update sessions set head_turn_id = ?, head_ref = 'main' where id = ? returning ${sessionCodec.select}`, turn.id, created.id), created.id);
      return { session, root: turn };
    });
  }

  async getSession(id: string): Promise<SessionRow> {
    return this.sessionOrThrow(this.one(SELECT_SESSION, id), id);
  }

  async findSession(id: string): Promise<SessionRow | undefined> {
    const values = this.one(SELECT_SESSION, id);
    return values && sessionCodec.decode(values);
  }

  /** Sessions newest first; with `owner`, only that owner's. */
  async listSessions(filter: { owner?: string | null } = {}): Promise<SessionRow[]> {
    const order = 'order by updated_at desc, created_at desc';
    const rows =
      filter.owner === undefined
        ? this.all(`select ${sessionCodec.select} from sessions ${order}`)
        : filter.owner === null
          ? this.all(`select ${sessionCodec.select} from sessions where owner is null ${order}`)
          : this.all(`select ${sessionCodec.select} from sessions where owner = ? ${order}`, filter.owner);
    return rows.map((r) => sessionCodec.decode(r));
  }

  async updateSession(id: string, patch: SessionPatch): Promise<SessionRow> {
    const set = setClause(sessionCodec, { ...patch, updatedAt: this.now() });
    return this.sessionOrThrow(this.one(`update sessions set ${set.sql} where id = ? returning ${sessionCodec.select}`, ...set.values, id), id);
  }

  async deleteSession(id: string): Promise<void> {
    if (this.run('delete from sessions where id = ?', id).changes === 0) throw new NotFoundError('session', id);
  }

  // ---------------------------------------------------------------- HEAD, branches, redo stack
  //
  // This store is the one owner of a session's HEAD, its attached branch and its redo stack.
  // Each move is one write transaction that reads what it decides on, so two processes on one
  // database can never lose each other's moves. The invariant every move keeps: when HEAD is
  // attached (`head_ref` set), that branch points at HEAD's turn.

  /**
   * Undo: HEAD steps to its parent and the turn it left goes on the redo stack. The attached
   * branch steps back with it, like `git reset HEAD~1`, so the next edit stays on the branch.
   */
  async undoHead(sessionId: string): Promise<SessionRow> {
    return this.transactionally(() => {
      const session = this.sessionOrThrow(this.one(SELECT_SESSION, sessionId), sessionId);
      const parentId = session.headTurnId === null ? null : (this.one('select parent_id from turns where id = ?', session.headTurnId)?.[0] as string | null | undefined);
      if (parentId === null || parentId === undefined) throw new ConflictError('nothing to undo: HEAD is at the root', { sessionId });
      return this.writeHead(session, parentId, [...session.redoStack, session.headTurnId!], 'follow');
    });
  }

  /**
   * Redo: HEAD moves back down to the turn the last undo left (its branch with it). Turns on the
   * stack that can no longer be continued from (failed or cancelled since) are skipped.
   */
  async redoHead(sessionId: string): Promise<SessionRow> {
    return this.transactionally(() => {
      const session = this.sessionOrThrow(this.one(SELECT_SESSION, sessionId), sessionId);
      const stack = [...session.redoStack];
      for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
        const turn = this.one('select parent_id, status from turns where id = ?', id) as [string | null, TurnStatus] | undefined;
        if (!turn || turn[1] === 'failed' || turn[1] === 'cancelled') continue;
        if (turn[0] !== session.headTurnId) break;
        return this.writeHead(session, id, stack, 'follow');
      }
      throw new ConflictError('nothing to redo', { sessionId });
    });
  }

  /**
   * Moves HEAD to a turn of the session. With `branch`, HEAD goes to that branch's tip as it is
   * now and attaches to it; without, HEAD detaches. `expectHead` makes it a compare-and-set for
   * targets worked out from HEAD (`HEAD~2`): when HEAD has moved since, nothing changes and
   * undefined comes back, to be worked out again.
   */
  async checkoutHead(sessionId: string, target: { turnId: string; branch?: string; expectHead?: string | null }): Promise<SessionRow | undefined> {
    return this.transactionally(() => {
      const session = this.sessionOrThrow(this.one(SELECT_SESSION, sessionId), sessionId);
      if (target.expectHead !== undefined && session.headTurnId !== target.expectHead) return undefined;
      if (target.branch === undefined) {
        this.requireTurnInSession(sessionId, target.turnId);
        return this.writeHead(session, target.turnId, [], null);
      }
      const tip = this.one('select turn_id from refs where session_id = ? and name = ?', sessionId, target.branch)?.[0] as string | undefined;
      if (tip === undefined) throw new NotFoundError('branch', target.branch);
      return this.writeHead(session, tip, [], target.branch);
    });
  }

  /**
   * After a turn failed or was cancelled: every branch on it, and HEAD if it sat on it (still
   * attached), move back to its nearest succeeded ancestor, the last good turn; and it leaves
   * the redo stack, since nothing can continue from it. Undefined when it has no good ancestor.
   */
  private retreatFrom(turn: TurnRow): string | undefined {
    const goodAncestor = this.one(
      `with recursive up(id, parent_id, status, depth) as (
         select id, parent_id, status, depth from turns where id = ?
         union all
         select t.id, t.parent_id, t.status, t.depth from turns t join up on t.id = up.parent_id
       ) select id from up where status = 'succeeded' order by depth desc limit 1`,
      turn.id,
    )?.[0] as string | undefined;
    const session = this.sessionOrThrow(this.one(SELECT_SESSION, turn.sessionId), turn.sessionId);
    const redoStack = session.redoStack.filter((id) => id !== turn.id);
    if (goodAncestor !== undefined) this.run('update refs set turn_id = ? where session_id = ? and turn_id = ?', goodAncestor, turn.sessionId, turn.id);
    const onHead = session.headTurnId === turn.id && goodAncestor !== undefined;
    if (onHead || redoStack.length !== session.redoStack.length) {
      this.run(MOVE_HEAD, onHead ? goodAncestor : session.headTurnId, JSON.stringify(redoStack), session.headRef, this.now().getTime(), turn.sessionId);
    }
    return onHead ? goodAncestor : undefined;
  }

  /**
   * Writes HEAD's move. `follow`: the attached branch moves along when it points at HEAD's turn
   * (otherwise HEAD detaches: never report a branch HEAD is not on); a name: attach to it; null: detach.
   */
  private writeHead(session: SessionRow, turnId: string, redoStack: readonly string[], ref: 'follow' | string | null): SessionRow {
    let headRef: string | null = ref === 'follow' ? null : ref;
    if (ref === 'follow' && session.headRef !== null && session.headTurnId !== null) {
      const moved = this.run('update refs set turn_id = ? where session_id = ? and name = ? and turn_id = ?', turnId, session.id, session.headRef, session.headTurnId).changes;
      if (moved === 1) headRef = session.headRef;
    }
    const values = this.one(`${MOVE_HEAD} returning ${sessionCodec.select}`, turnId, JSON.stringify(redoStack), headRef, this.now().getTime(), session.id);
    return this.sessionOrThrow(values, session.id);
  }

  /**
   * Deletes `turnId` and every turn below it (their outputs and branches with them), as one
   * write transaction that decides on what it reads. Refused while a turn of the subtree is
   * unfinished (its result would have nowhere to go), and for a session's root (delete the
   * session instead). Branches pointing into the subtree move to its parent, or are deleted
   * with `deleteBranches`; HEAD moves to the parent when it was inside (still attached when its
   * branch moved with it); the redo stack loses every deleted turn.
   */
  async deleteSubtree(turnId: string, options: { deleteBranches?: boolean } = {}): Promise<SubtreeDeletion> {
    return this.transactionally(() => {
      const top = this.one('select session_id, parent_id from turns where id = ?', turnId) as [string, string | null] | undefined;
      if (!top) throw new NotFoundError('turn', turnId);
      const [sessionId, parentId] = top;
      if (parentId === null) throw new ConflictError('the root turn cannot be deleted on its own; delete the session instead', { sessionId, turnId });
      const rows = this.all(`${SUBTREE_IDS} select down.id, ${IN_FLIGHT_SQL} from down join turns on turns.id = down.id`, turnId) as [string, number][];
      const running = rows.filter(([, inFlight]) => inFlight === 1).map(([id]) => id);
      if (running.length > 0) throw new ConflictError(`${running.length} turn(s) in this subtree are still running; cancel them or wait, then delete`, { turnId, running });
      const deleted = new Set(rows.map(([id]) => id));
      const session = this.sessionOrThrow(this.one(SELECT_SESSION, sessionId), sessionId);
      const branchesInside = (this.all('select name, turn_id from refs where session_id = ?', sessionId) as [string, string][])
        .filter(([, target]) => deleted.has(target))
        .map(([name]) => name);
      if (!options.deleteBranches && branchesInside.length > 0) this.run(`update refs set turn_id = ? where session_id = ? and name in (${placeholders(branchesInside.length)})`, parentId, sessionId, ...branchesInside);
      const headInside = session.headTurnId !== null && deleted.has(session.headTurnId);
      const headRef = headInside && (options.deleteBranches || session.headRef === null) ? null : session.headRef;
      const redoStack = session.redoStack.filter((id) => !deleted.has(id));
      // The composite foreign keys cascade: descendants, their outputs and any branch still on them go too.
      this.run('delete from turns where id = ?', turnId);
      this.run(MOVE_HEAD, headInside ? parentId : session.headTurnId, JSON.stringify(redoStack), headRef, this.now().getTime(), sessionId);
      return {
        sessionId,
        parentId,
        deletedTurnIds: rows.map(([id]) => id),
        ...(options.deleteBranches ? { deletedBranches: branchesInside, movedBranches: [] } : { deletedBranches: [], movedBranches: branchesInside }),
        headMovedTo: headInside ? parentId : undefined,
      };
    });
  }

  // ---------------------------------------------------------------- turns

  /**
   * Writes a new turn. The parent must be a turn of the same session (enforced by a
   * composite foreign key, reported here with a clear error). With `moveHead`, HEAD moves
   * to the new turn in the same transaction and the redo stack is cleared.
   */
  async appendTurn(input: NewTurn, options: AppendOptions = {}): Promise<TurnRow> {
    return this.transactionally(() => this.insertTurn(input, options));
  }

  /**
   * Writes a chain of already-finished turns below `parentId` — each the parent of the next —
   * with their outputs, and optionally a branch at the last one with HEAD attached to it: one
   * transaction, so an exact replay is either all there or not at all.
   */
  async appendChain(
    sessionId: string,
    parentId: string,
    steps: readonly { turn: Omit<NewTurn, 'sessionId' | 'parentId' | 'status'>; outputs: readonly NewOutput[]; patch?: TurnPatch }[],
    options: { branch?: BranchName } = {},
  ): Promise<{ turns: TurnRow[]; branch?: string }> {
    if (typeof options.branch === 'string') validateRefName(options.branch);
    return this.transactionally(() => {
      const written: TurnRow[] = [];
      let parent = parentId;
      for (const step of steps) {
        const row = this.insertTurn({ ...step.turn, sessionId, parentId: parent }, { complete: { outputs: step.outputs, patch: step.patch } });
        written.push(row);
        parent = row.id;
      }
      if (options.branch === undefined) return { turns: written };
      const branch = this.claimBranchName(sessionId, options.branch, parent);
      this.run(MOVE_HEAD, parent, '[]', branch, this.now().getTime(), sessionId);
      return { turns: written, branch };
    });
  }

  private insertTurn(input: NewTurn, options: AppendOptions): TurnRow {
    if (!this.one('select 1 from sessions where id = ?', input.sessionId)) throw new NotFoundError('session', input.sessionId);
    const id = this.idNoBranchPrefixes(input.sessionId);
    let depth = 0;
    let segmentId = id;
    if (input.parentId !== null) {
      const parent = this.one('select session_id, depth, segment_id from turns where id = ?', input.parentId) as [string, number, string | null] | undefined;
      if (!parent) throw new NotFoundError('turn', input.parentId, `parent turn '${input.parentId}' not found`);
      const [parentSession, parentDepth, parentSegment] = parent;
      if (parentSession !== input.sessionId) {
        throw new ValidationError([
          { field: 'parentId', message: `turn '${input.parentId}' belongs to another session; a parent must be a turn of session '${input.sessionId}'` },
        ]);
      }
      depth = parentDepth + 1;
      // The parent's first child continues its segment; any later child starts a branch.
      if (parentSegment !== null && !this.one('select 1 from turns where segment_id = ? and depth = ?', parentSegment, depth)) segmentId = parentSegment;
    }
    if (options.reserveMicros !== undefined) this.reserveSpend(input.sessionId, options.reserveMicros);
    const now = this.now();
    const row = newTurnRow(id, depth, input, options, now);
    this.run(INSERT_TURN, ...turnCodec.encodeRow(row), segmentId);
    for (const blob of options.complete?.newBlobs ?? []) this.run(INSERT_BLOB_IF_NEW, ...blobCodec.encodeRow({ ...blob, createdAt: this.now() }));
    if (options.complete) this.insertOutputs(id, options.complete.outputs);
    if (options.moveHead) {
      // An attached branch follows HEAD as it grows, like a git branch following commits — if it
      // still points at the parent. Decided here, in the move's own transaction, so a branch that
      // another process moved meanwhile is never dragged along (HEAD detaches instead).
      const attached = input.parentId === null ? undefined : (this.one(ATTACHED_BRANCH_AT, input.sessionId, input.parentId)?.[0] as string | undefined);
      this.run(MOVE_HEAD, id, '[]', attached ?? null, now.getTime(), input.sessionId);
      if (attached) this.run('update refs set turn_id = ? where session_id = ? and name = ?', id, input.sessionId, attached);
    } else {
      this.run('update sessions set updated_at = ? where id = ?', now.getTime(), input.sessionId);
    }
    return row;
  }

  /**
   * Checks the session's budget against what it has spent plus what its unfinished turns have
   * reserved, inside the transaction that writes the new reservation: a cap even when many
   * edits (from many processes) race for the last of it.
   */
  private reserveSpend(sessionId: string, micros: number): void {
    const { budget, spent } = this.budgetAndSpend(sessionId);
    if (budget !== null && spent + micros > budget) throw new BudgetExceededError(budget, spent, micros);
  }

  /** A session's cap and what its turns have spent or reserved (unfinished turns hold their estimate). */
  private budgetAndSpend(sessionId: string): { budget: number | null; spent: number } {
    const values = this.one('select budget_micros, (select coalesce(sum(cost_micros), 0) from turns where session_id = sessions.id) from sessions where id = ?', sessionId) as [number | null, number] | undefined;
    if (!values) throw new NotFoundError('session', sessionId);
    return { budget: values[0], spent: values[1] };
  }

  private insertOutputs(turnId: string, rows: readonly NewOutput[]): void {
    for (const output of rows) this.run(INSERT_OUTPUT, ...outputCodec.encodeRow({ ...output, turnId }));
  }

  async getTurn(id: string): Promise<TurnRow> {
    return this.turnOrThrow(this.one(SELECT_TURN, id), id);
  }

  async findTurn(id: string): Promise<TurnRow | undefined> {
    const values = this.one(SELECT_TURN, id);
    return values && turnCodec.decode(values);
  }

  /** Turns whose id starts with `prefix` (optionally within a session), at most `limit`. */
  async findTurnsByPrefix(prefix: string, options: { sessionId?: string; limit?: number } = {}): Promise<TurnRow[]> {
    if (!ID_ALPHABET_RE.test(prefix)) return [];
    // Not LIKE: `_` is both an id character and LIKE's wildcard, and LIKE ignores case, while
    // ids are case-sensitive. A literal, case-sensitive prefix comparison instead.
    const limit = options.limit ?? 10;
    const rows = options.sessionId
      ? this.all(`select ${turnCodec.select} from turns where substr(id, 1, ?) = ? and session_id = ? limit ?`, prefix.length, prefix, options.sessionId, limit)
      : this.all(`select ${turnCodec.select} from turns where substr(id, 1, ?) = ? limit ?`, prefix.length, prefix, limit);
    return rows.map((r) => turnCodec.decode(r));
  }

  /**
   * Moves a turn to a new status (only along allowed transitions) and applies `patch`
   * in the same write. Refused moves throw ConflictError and change nothing.
   */
  async transitionTurn(id: string, to: TurnStatus, patch: TurnPatch = {}): Promise<TurnRow> {
    // One conditional UPDATE: it only matches while the turn is in a status that may move to `to`.
    const set = setClause(turnCodec, { ...definedOnly(patch), status: to });
    const values = this.one(`update turns set ${set.sql} where id = ? and status in (${statusesInto(to)}) returning ${turnCodec.select}`, ...set.values, id);
    if (values) return turnCodec.decode(values);
    throw this.refusedMove(id, to);
  }

  /**
   * Ends an unfinished turn as failed or cancelled, in one transaction with what that means for
   * the session: its reservation is released (`costMicros` 0 unless `patch` says it was billed),
   * and branches and HEAD step back off it to the last good turn (see retreatFrom).
   * `headMovedTo` is where HEAD went, when it moved.
   */
  async endUnfinishedTurn(id: string, to: 'failed' | 'cancelled', patch: TurnPatch = {}): Promise<{ turn: TurnRow; headMovedTo?: string }> {
    return this.transactionally(() => {
      const set = setClause(turnCodec, { costMicros: 0, ...definedOnly(patch), status: to });
      const values = this.one(`update turns set ${set.sql} where id = ? and status in (${statusesInto(to)}) returning ${turnCodec.select}`, ...set.values, id);
      if (!values) throw this.refusedMove(id, to);
      const turn = turnCodec.decode(values);
      return { turn, headMovedTo: this.retreatFrom(turn) };
    });
  }

  /** Updates fields of a turn without changing its status (e.g. the request id the moment a submit answers). */
  async patchTurn(id: string, patch: TurnPatch): Promise<TurnRow> {
    const fields = definedOnly(patch);
    if (Object.keys(fields).length === 0) return this.getTurn(id);
    const set = setClause<TurnRow>(turnCodec, fields);
    return this.turnOrThrow(this.one(`update turns set ${set.sql} where id = ? returning ${turnCodec.select}`, ...set.values, id), id);
  }

  /**
   * Writes, just before a turn's submit is sent, the request as it will go and the moment:
   * from here on a resume must not submit it again. Only while the turn is still pending and
   * leased to `owner`: undefined when it is not (cancelled meanwhile, or taken over by another
   * process after this one's lease ran out), and then nothing is written and nothing may be sent.
   * The send's cost is reserved in the same write, and refused (BUDGET_EXCEEDED) over budget.
   */
  async markSubmitAttempt(id: string, owner: string, params: Record<string, unknown>, at: Date, costMicros: number): Promise<TurnRow | undefined> {
    return this.transactionally(() => {
      const set = setClause<TurnRow>(turnCodec, { params, submitAttemptedAt: at, costMicros });
      const values = this.one(`update turns set ${set.sql} where id = ? and status = 'pending' and lease_owner = ? returning ${turnCodec.select}`, ...set.values, id, owner);
      if (!values) return undefined;
      const turn = turnCodec.decode(values);
      // With this send's cost now in, the session's spend must still fit (else the write is undone).
      const { budget, spent } = this.budgetAndSpend(turn.sessionId);
      if (budget !== null && spent > budget) throw new BudgetExceededError(budget, spent - costMicros, costMicros);
      return turn;
    });
  }

  /**
   * Records a turn's outputs and marks it succeeded, in one transaction: either every
   * output row (with the metadata of blobs it is the first to use) and the new status are
   * written, or none of them.
   */
  async completeTurn(id: string, newOutputs: readonly NewOutput[], patch: TurnPatch = {}, newBlobs: readonly NewBlob[] = []): Promise<TurnRow> {
    return this.transactionally(() => {
      for (const blob of newBlobs) this.run(INSERT_BLOB_IF_NEW, ...blobCodec.encodeRow({ ...blob, createdAt: this.now() }));
      const set = setClause(turnCodec, { ...definedOnly(patch), status: 'succeeded' });
      const values = this.one(`update turns set ${set.sql} where id = ? and status in (${statusesInto('succeeded')}) returning ${turnCodec.select}`, ...set.values, id);
      if (!values) throw this.refusedMove(id, 'succeeded');
      this.insertOutputs(id, newOutputs);
      return turnCodec.decode(values);
    });
  }

  async selectOutput(turnId: string, index: number): Promise<TurnRow> {
    const turn = await this.getTurn(turnId);
    const count = this.one('select count(*) from outputs where turn_id = ?', turnId)![0] as number;
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new ValidationError([
        { field: 'candidate', message: count === 0 ? `turn '${turnId}' has no outputs (status ${turn.status})` : `${index} is not an output of turn '${turnId}'; allowed: 0 to ${count - 1}` },
      ]);
    }
    return this.patchTurn(turnId, { selectedOutput: index });
  }

  /**
   * What a provider needs to send a parent's output as the next turn's image, in one read:
   * the URL the parent's provider gave for it (if any), who gave it, and its content type.
   */
  async inputSource(parentId: string, blobHash: string): Promise<{ providerUrl: string | null; urlProvider: string | null; contentType: string | null }> {
    const values = this.one(
      `select outputs.provider_url, parent.provider, coalesce(blobs.content_type, outputs.content_type)
       from turns parent
       left join outputs on outputs.turn_id = parent.id and outputs.blob_hash = ?
       left join blobs on blobs.hash = ?
       where parent.id = ?
       order by outputs.idx limit 1`,
      blobHash,
      blobHash,
      parentId,
    ) as [string | null, string | null, string | null] | undefined;
    if (!values) throw new NotFoundError('turn', parentId);
    const [providerUrl, urlProvider, contentType] = values;
    return { providerUrl, urlProvider, contentType };
  }

  async outputsOf(turnId: string): Promise<OutputRow[]> {
    return this.readOutputs(turnId);
  }

  /**
   * A session, the turn its HEAD is on (undefined before it has one) and that turn's outputs,
   * as of one moment (one read transaction): what an edit from HEAD starts from.
   */
  async headOf(sessionId: string): Promise<{ session: SessionRow; head: TurnRow | undefined; headOutputs: OutputRow[] }> {
    return this.snapshot(() => {
      const session = this.sessionOrThrow(this.one(SELECT_SESSION, sessionId), sessionId);
      const values = session.headTurnId === null ? undefined : this.one(SELECT_TURN, session.headTurnId);
      const head = values && turnCodec.decode(values);
      return { session, head, headOutputs: head ? this.readOutputs(head.id) : [] };
    });
  }

  /**
   * A turn and its outputs as of one moment (one read transaction): never a turn read just
   * before it finished next to the outputs its finish wrote.
   */
  async turnWithOutputs(id: string): Promise<{ turn: TurnRow; outputs: OutputRow[] }> {
    return this.snapshot(() => ({
      turn: this.turnOrThrow(this.one(SELECT_TURN, id), id),
      outputs: this.readOutputs(id),
    }));
  }

  /** Outputs of many turns at once, keyed by turn id. */
  async outputsOfMany(turnIds: readonly string[]): Promise<Map<string, OutputRow[]>> {
    const byTurn = new Map<string, OutputRow[]>();
    if (turnIds.length === 0) return byTurn;
    // The ids travel as one JSON array: one prepared statement whatever their number.
    const rows = this.all(
      `select ${outputCodec.select} from outputs where turn_id in (select value from json_each(?)) order by turn_id, idx`,
      JSON.stringify(turnIds),
    );
    for (const values of rows) {
      const row = outputCodec.decode(values);
      const list = byTurn.get(row.turnId);
      if (list) list.push(row);
      else byTurn.set(row.turnId, [row]);
    }
    return byTurn;
  }

  /**
   * The ids on the path root → `turnId`, in order. One query: the segments on the path (one
   * per fork above the turn, found by a short recursive walk) and each one's ids as a single
   * string read from an index, so a 10,000-turn path is a few index range scans.
   */
  async pathIds(turnId: string): Promise<string[]> {
    const rows = this.all(PATH_SEGMENTS_IDS, turnId) as [number, string][];
    if (rows.length === 0) throw new NotFoundError('turn', turnId);
    // Nearest segment first in the rows; the path starts at the root's.
    if (rows.length === 1) return rows[0]![1].split(' ');
    return rows.reverse().flatMap((row) => row[1].split(' '));
  }

  /** The path root → `turnId`, in order, as whole rows. */
  async path(turnId: string): Promise<TurnRow[]> {
    return this.pathOf(turnId, turnCodec);
  }

  async children(turnId: string): Promise<TurnRow[]> {
    return this.all(`select ${turnCodec.select} from turns where parent_id = ? order by created_at, id`, turnId).map((r) => turnCodec.decode(r));
  }

  /** `turnId` and all its descendants, parents before children. */
  async subtree(turnId: string): Promise<TurnRow[]> {
    const rows = this.all(
      `with recursive down(id) as (
         select id from turns where id = ?
         union all
         select t.id from turns t join down on t.parent_id = down.id
       )
       select ${turnCodec.select} from turns join down on down.id = turns.id order by turns.depth asc, turns.created_at asc, turns.id asc`,
      turnId,
    );
    if (rows.length === 0) throw new NotFoundError('turn', turnId);
    return rows.map((r) => turnCodec.decode(r));
  }

  /** Every turn of a session, parents before children. */
  async listTurns(sessionId: string): Promise<TurnRow[]> {
    return this.all(`select ${turnCodec.select} from turns where session_id = ? order by depth, created_at, id`, sessionId).map((r) => turnCodec.decode(r));
  }

  /**
   * What a log line shows of every turn of a session, parents before children, siblings
   * oldest first: a narrow read for `kontext log`, handed out row by row as it is consumed,
   * so a 10,000-turn tree is never held as rows and objects at once. Read it to the end
   * before the next write on this store: the cursor keeps the connection busy until then.
   */
  async turnSummaries(sessionId: string): Promise<IterableIterator<TurnSummary>> {
    const rows = this.statement(`select ${summaryCodec.select} from turns where session_id = ? order by depth, created_at, id`).iterate(sessionId) as IterableIterator<unknown[]>;
    return decodeEach(rows, summaryCodec);
  }

  /** What a log line shows of each turn on the path root → `turnId`, in order. */
  async pathSummaries(turnId: string): Promise<TurnSummary[]> {
    return this.pathOf(turnId, summaryCodec);
  }

  /** The path root → `turnId` in the columns of `codec`: the turns of each segment on it, placed by depth. */
  private pathOf<Row extends { depth: number }>(turnId: string, codec: RowCodec<Row>): Row[] {
    const rows = this.all(`${PATH_SEGMENTS} select ${codec.select} from segs join turns on turns.segment_id = segs.seg and turns.depth <= segs.max_depth`, turnId);
    if (rows.length === 0) throw new NotFoundError('turn', turnId);
    // Depth is the position on a path: every turn lands in its place without a sort.
    const path = new Array<Row>(rows.length);
    for (const values of rows) {
      const turn = codec.decode(values);
      path[turn.depth] = turn;
    }
    return path;
  }

  /** Turns not yet finished (pending, submitted, running), in every session or one. */
  async inFlightTurns(sessionId?: string): Promise<TurnRow[]> {
    const rows = sessionId
      ? this.all(`select ${turnCodec.select} from turns where ${IN_FLIGHT_SQL} and session_id = ? order by created_at`, sessionId)
      : this.all(`select ${turnCodec.select} from turns where ${IN_FLIGHT_SQL} order by created_at`);
    return rows.map((r) => turnCodec.decode(r));
  }

  /**
   * A succeeded turn with the same endpoint, input image, fixed seed and params (compared
   * as canonical JSON), whose outputs may be reused instead of paying again.
   */
  async findMemo(key: { endpointId: string; inputBlob: string | null; referenceBlobs?: readonly string[]; seed: number; params: Record<string, unknown> }): Promise<TurnRow | undefined> {
    const candidates = this.all(
      `select ${turnCodec.select} from turns where endpoint_id = ? and input_blob is ? and seed_requested = ? and status = 'succeeded'`,
      key.endpointId,
      key.inputBlob,
      key.seed,
    ).map((r) => turnCodec.decode(r));
    return candidates.find((t) => sameRequestBesideImages(t, key));
  }

  /**
   * The unfinished turn a provider's job belongs to, if any (a webhook names its job by the
   * provider's request id). Finished turns are not looked at, so the read uses the in-flight index.
   */
  async findInFlightTurnByRequest(provider: string, requestId: string): Promise<TurnRow | undefined> {
    const values = this.one(`select ${turnCodec.select} from turns where ${IN_FLIGHT_SQL} and provider = ? and request_id = ? limit 1`, provider, requestId);
    return values && turnCodec.decode(values);
  }

  // ---------------------------------------------------------------- fork and pins

  /**
   * Copies the path root → `turnId` (or with `whole` the session's whole tree) into a new
   * session of the same owner, in one write transaction that reads what it copies.
   */
  async forkSession(turnId: string, options: { whole?: boolean; title?: string } = {}): Promise<{ session: SessionRow; copies: Map<string, string>; skipped: string[] }> {
    return this.transactionally(() => {
      const target = this.turnOrThrow(this.one(SELECT_TURN, turnId), turnId);
      if (target.status !== 'succeeded') throw forkRefused(target);
      const source = this.sessionOrThrow(this.one(SELECT_SESSION, target.sessionId), target.sessionId);
      const turns = options.whole
        ? this.all(`select ${turnCodec.select} from turns where session_id = ? order by depth, created_at, id`, source.id).map((r) => turnCodec.decode(r))
        : this.pathOf(turnId, turnCodec);
      const outputs = this.all(`select ${outputCodec.select} from outputs where turn_id in (select value from json_each(?)) order by turn_id, idx`, JSON.stringify(turns.map((t) => t.id))).map((r) => outputCodec.decode(r));
      const refs = options.whole ? this.all(`select ${refCodec.select} from refs where session_id = ?`, source.id).map((r) => refCodec.decode(r)) : [];
      const plan = planFork(
        { session: source, turns, outputs, refs, targetId: turnId },
        { title: options.title ?? forkTitle(source), now: this.now(), newSessionId: this.newId(), newTurnId: (avoid) => idAvoidingPrefixes(this.newId, avoid) },
      );
      this.run(INSERT_SESSION, ...sessionCodec.encodeRow(plan.session));
      this.insertTreeRows(plan);
      return { session: plan.session, copies: plan.copies, skipped: plan.skipped };
    });
  }

  /**
   * Pins a turn as a favourite, or unpins it (both idempotent: pinning again keeps the first
   * pin's time, which orders the list). Only a succeeded turn can be pinned: a favourite is a
   * picture, and an unfinished or failed turn has none.
   */
  async setPinned(turnId: string, pinned: boolean): Promise<TurnRow> {
    const values = pinned
      ? this.one(`update turns set pinned_at = coalesce(pinned_at, ?) where id = ? and status = 'succeeded' returning ${turnCodec.select}`, this.now().getTime(), turnId)
      : this.one(`update turns set pinned_at = null where id = ? returning ${turnCodec.select}`, turnId);
    if (values) return turnCodec.decode(values);
    const status = this.one('select status from turns where id = ?', turnId)?.[0] as TurnStatus | undefined;
    throw pinRefused(turnId, status);
  }

  /** A session's pinned turns, in the order they were pinned. */
  async pinnedTurns(sessionId: string): Promise<TurnRow[]> {
    return this.all(`select ${turnCodec.select} from turns where session_id = ? and pinned_at is not null order by pinned_at, id`, sessionId).map((r) => turnCodec.decode(r));
  }

  // ---------------------------------------------------------------- leases

  /**
   * Takes the right to run an unfinished turn, for `ttlMs`, and hands back the turn as it now
   * stands (undefined when it is not to be had). Succeeds when nobody holds it, the holder's
   * lease ran out, or `isHolderGone(holder)` says the holder process is dead. A compare-and-set
   * on the old holder keeps two processes from both winning.
   */
  async claimTurn(turnId: string, owner: string, ttlMs: number, isHolderGone: (holder: string) => boolean = () => false): Promise<TurnRow | undefined> {
    return this.transactionally(() => {
      const turn = this.turnOrThrow(this.one(SELECT_TURN, turnId), turnId);
      if (!IN_FLIGHT_STATUSES.includes(turn.status)) return undefined;
      const now = this.now().getTime();
      const { leaseOwner, leaseExpiresAt } = turn;
      // Already ours, with most of its time left (e.g. leased when written): nothing to write.
      if (holdsFreshLease(turn, owner, now, ttlMs)) return turn;
      const free = leaseOwner === null || leaseOwner === owner || (leaseExpiresAt !== null && leaseExpiresAt.getTime() <= now) || isHolderGone(leaseOwner);
      if (!free) return undefined;
      const taken = this.one(`update turns set lease_owner = ?, lease_expires_at = ? where id = ? and lease_owner is ? returning ${turnCodec.select}`, owner, now + ttlMs, turnId, leaseOwner);
      return taken && turnCodec.decode(taken);
    });
  }

  /** Extends every lease `owner` holds on unfinished turns. */
  async renewLeases(owner: string, ttlMs: number): Promise<number> {
    return this.run(
      `update turns set lease_expires_at = ? where lease_owner = ? and ${IN_FLIGHT_SQL}`,
      this.now().getTime() + ttlMs,
      owner,
    ).changes;
  }

  async releaseTurn(turnId: string, owner: string): Promise<void> {
    this.run('update turns set lease_owner = null, lease_expires_at = null where id = ? and lease_owner = ?', turnId, owner);
  }

  async sessionCostMicros(sessionId: string): Promise<number> {
    return this.one('select coalesce(sum(cost_micros), 0) from turns where session_id = ?', sessionId)![0] as number;
  }

  // ---------------------------------------------------------------- refs

  async setRef(sessionId: string, name: string, turnId: string): Promise<RefRow> {
    validateRefName(name);
    return this.transactionally(() => {
      this.requireTurnInSession(sessionId, turnId);
      const values = this.one(
        `insert into refs (session_id, name, turn_id, created_at) values (?, ?, ?, ?)
         on conflict (session_id, name) do update set turn_id = excluded.turn_id returning ${refCodec.select}`,
        sessionId,
        name,
        turnId,
        this.now().getTime(),
      );
      return refCodec.decode(values!);
    });
  }

  /**
   * Creates a branch at `turnId` before the work that will grow it (a fresh replay, a what-if)
   * spends anything: a name taken meanwhile is refused now, not after paying. `{ numbered }`
   * takes the first free `<numbered>-N`, chosen in the same transaction that creates it.
   */
  async reserveBranch(sessionId: string, name: BranchName, turnId: string): Promise<RefRow> {
    if (typeof name === 'string') validateRefName(name);
    return this.transactionally(() => {
      this.requireTurnInSession(sessionId, turnId);
      const taken = this.claimBranchName(sessionId, name, turnId);
      return refCodec.decode(this.one(`select ${refCodec.select} from refs where session_id = ? and name = ?`, sessionId, taken)!);
    });
  }

  /** Moves a branch to a turn of its session; with `attachHead`, HEAD goes there attached to it (redo stack cleared). */
  async moveBranch(sessionId: string, name: string, turnId: string, options: { attachHead?: boolean } = {}): Promise<SessionRow> {
    return this.transactionally(() => {
      this.requireTurnInSession(sessionId, turnId);
      if (this.run('update refs set turn_id = ? where session_id = ? and name = ?', turnId, sessionId, name).changes === 0) throw new NotFoundError('branch', name);
      if (options.attachHead) this.run(MOVE_HEAD, turnId, '[]', name, this.now().getTime(), sessionId);
      else this.run('update sessions set head_ref = null where id = ? and head_ref = ? and head_turn_id is not ?', sessionId, name, turnId);
      return this.sessionOrThrow(this.one(SELECT_SESSION, sessionId), sessionId);
    });
  }

  async createRef(sessionId: string, name: string, turnId: string): Promise<RefRow> {
    validateRefName(name);
    this.requireFreeBranch(sessionId, name);
    return this.setRef(sessionId, name, turnId);
  }

  async findRef(sessionId: string, name: string): Promise<RefRow | undefined> {
    const values = this.one(`select ${refCodec.select} from refs where session_id = ? and name = ?`, sessionId, name);
    return values && refCodec.decode(values);
  }

  async listRefs(sessionId: string): Promise<RefRow[]> {
    return this.all(`select ${refCodec.select} from refs where session_id = ? order by name`, sessionId).map((r) => refCodec.decode(r));
  }

  async deleteRef(sessionId: string, name: string): Promise<void> {
    this.transactionally(() => {
      this.run('update sessions set head_ref = null where id = ? and head_ref = ?', sessionId, name);
      if (this.run('delete from refs where session_id = ? and name = ?', sessionId, name).changes === 0) throw new NotFoundError('branch', name);
    });
  }

  async renameRef(sessionId: string, from: string, to: string): Promise<RefRow> {
    validateRefName(to);
    return this.transactionally(() => {
      this.run('update sessions set head_ref = ? where id = ? and head_ref = ?', to, sessionId, from);
      if (!this.one('select 1 from refs where session_id = ? and name = ?', sessionId, from)) throw new NotFoundError('branch', from);
      this.requireFreeBranch(sessionId, to);
      return refCodec.decode(this.one(`update refs set name = ? where session_id = ? and name = ? returning ${refCodec.select}`, to, sessionId, from)!);
    });
  }

  // ---------------------------------------------------------------- blobs

  /** Records a blob's metadata (idempotent: the same hash is the same bytes). */
  async recordBlob(blob: NewBlob): Promise<BlobRow> {
    this.run(INSERT_BLOB_IF_NEW, ...blobCodec.encodeRow({ ...blob, createdAt: this.now() }));
    return (await this.findBlob(blob.hash))!;
  }

  async findBlob(hash: string): Promise<BlobRow | undefined> {
    const values = this.one(`select ${blobCodec.select} from blobs where hash = ?`, hash);
    return values && blobCodec.decode(values);
  }

  /**
   * For archive collection, as of one moment (one read transaction): every blob hash a row
   * refers to, and when the oldest unfinished turn was written (null when none is).
   */
  async blobReferences(): Promise<{ referenced: Set<string>; oldestInFlightAt: Date | null }> {
    return this.snapshot(() => {
      const referenced = new Set(this.all(REFERENCED_BLOBS).map((r) => r[0] as string));
      const oldest = this.one(`select min(created_at) from turns where ${IN_FLIGHT_SQL}`)?.[0] as number | null | undefined;
      return { referenced, oldestInFlightAt: oldest === null || oldest === undefined ? null : new Date(oldest) };
    });
  }

  /** Of `hashes`, those no row refers to now, with their metadata rows deleted (`dryRun`: only found), in one write transaction. */
  async releaseUnreferencedBlobs(hashes: readonly string[], options: { dryRun?: boolean } = {}): Promise<{ hashes: string[]; rows: number }> {
    return this.transactionally(() => {
      const free = this.all(`select value from json_each(?) where value not in (${REFERENCED_BLOBS})`, JSON.stringify(hashes)).map((r) => r[0] as string);
      if (options.dryRun || free.length === 0) {
        const rows = this.one('select count(*) from blobs where hash in (select value from json_each(?))', JSON.stringify(free))![0] as number;
        return { hashes: free, rows };
      }
      return { hashes: free, rows: this.run('delete from blobs where hash in (select value from json_each(?))', JSON.stringify(free)).changes };
    });
  }

  // ---------------------------------------------------------------- bulk (import)

  /**
   * Writes a whole session (from a bundle) in one transaction: blobs metadata, the session,
   * its turns (parents first), outputs and refs. Nothing is written if any row fails.
   */
  async insertSessionGraph(graph: SessionGraph): Promise<void> {
    this.transactionally(() => {
      for (const blob of graph.blobs) this.run(INSERT_BLOB_IF_NEW, ...blobCodec.encodeRow(blob));
      this.run(INSERT_SESSION, ...sessionCodec.encodeRow(graph.session));
      this.insertTreeRows(graph);
    });
  }

  /**
   * Inside a transaction: a new session's turns (parents first), outputs and refs. Segments are
   * the store's own index: worked out the same way insertTurn does.
   */
  private insertTreeRows(graph: { turns: readonly TurnRow[]; outputs: readonly OutputRow[]; refs: readonly RefRow[] }): void {
    const segments = segmentsOf(graph.turns);
    for (const turn of graph.turns) this.run(INSERT_TURN, ...turnCodec.encodeRow(turn), segments.get(turn.id));
    for (const output of graph.outputs) this.run(INSERT_OUTPUT, ...outputCodec.encodeRow(output));
    for (const ref of graph.refs) this.run(INSERT_REF, ...refCodec.encodeRow(ref));
  }

  /** Runs `fn` in one transaction (synchronous work only). */
  transaction<T>(fn: () => T): T {
    return this.transactionally(fn);
  }

  // ---------------------------------------------------------------- plumbing

  /** Runs `fn` as one write transaction that holds the write lock from its start. */
  private transactionally<T>(fn: () => T): T {
    return busyAsTyped(() => this.writeTransaction(fn) as T);
  }

  /** Runs `fn` as one read transaction: everything it reads is of one moment. */
  private snapshot<T>(fn: () => T): T {
    return busyAsTyped(() => this.readTransaction(fn) as T);
  }

  /** The cached prepared statement for `sql` (row-returning ones hand back arrays). */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(sql);
      if (statement.reader) statement.raw(true);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private all(sql: string, ...params: unknown[]): unknown[][] {
    return busyAsTyped(() => this.statement(sql).all(...params) as unknown[][]);
  }

  private one(sql: string, ...params: unknown[]): unknown[] | undefined {
    return busyAsTyped(() => this.statement(sql).get(...params) as unknown[] | undefined);
  }

  private run(sql: string, ...params: unknown[]): Database.RunResult {
    return busyAsTyped(() => this.statement(sql).run(...params));
  }

  /** A turn's outputs in order (synchronous: for use inside a transaction too). */
  private readOutputs(turnId: string): OutputRow[] {
    return this.all(SELECT_OUTPUTS, turnId).map((r) => outputCodec.decode(r));
  }

  private sessionOrThrow(values: unknown[] | undefined, id: string): SessionRow {
    if (!values) throw new NotFoundError('session', id);
    return sessionCodec.decode(values);
  }

  private turnOrThrow(values: unknown[] | undefined, id: string): TurnRow {
    if (!values) throw new NotFoundError('turn', id);
    return turnCodec.decode(values);
  }

  /** Why a conditional status update matched nothing: no such turn, or a move not allowed from where it is. */
  private refusedMove(id: string, to: TurnStatus): KontextError {
    const current = this.one('select status from turns where id = ?', id);
    if (!current) return new NotFoundError('turn', id);
    const from = current[0] as TurnStatus;
    return new ConflictError(`turn '${id}' cannot move from ${from} to ${to}`, { turnId: id, from, to });
  }

  /** Inside a transaction: creates the branch (a free numbered one for `{ numbered }`) and returns its name. */
  private claimBranchName(sessionId: string, name: BranchName, turnId: string): string {
    let chosen: string;
    if (typeof name === 'string') {
      this.requireFreeBranch(sessionId, name);
      chosen = name;
    } else {
      const taken = new Set(this.all('select name from refs where session_id = ?', sessionId).map((r) => r[0] as string));
      let i = 1;
      while (taken.has(`${name.numbered}-${i}`)) i++;
      chosen = `${name.numbered}-${i}`;
      validateRefName(chosen);
    }
    this.run(INSERT_REF, sessionId, chosen, turnId, this.now().getTime());
    return chosen;
  }

  private requireFreeBranch(sessionId: string, name: string): void {
    if (this.one('select 1 from refs where session_id = ? and name = ?', sessionId, name)) throw new ConflictError(`branch '${name}' already exists`, { name });
    // A name that is the start of a turn's id would make that prefix mean two things.
    const turn = name.length >= MIN_ID_PREFIX ? this.one('select id from turns where session_id = ? and substr(id, 1, ?) = ? limit 1', sessionId, name.length, name) : undefined;
    if (turn) throw branchReadsAsTurnId(name, turn[0] as string);
  }

  /**
   * A new turn id that no branch name of the session is the start of, the other half of
   * requireFreeBranch's rule: a prefix of at least MIN_ID_PREFIX characters names one thing only.
   */
  private idNoBranchPrefixes(sessionId: string): string {
    for (let attempt = 0; ; attempt++) {
      const id = this.newId();
      const clash = this.one('select 1 from refs where session_id = ? and length(name) >= ? and substr(?, 1, length(name)) = name', sessionId, MIN_ID_PREFIX, id);
      if (!clash || attempt >= 16) return id;
    }
  }

  private requireTurnInSession(sessionId: string, turnId: string): void {
    const turn = this.one('select session_id from turns where id = ?', turnId);
    if (!turn) throw new NotFoundError('turn', turnId);
    if (turn[0] !== sessionId) throw new NotFoundError('turn', turnId, `turn '${turnId}' is not in session '${sessionId}'`);
  }
}

/** The columns of a log line, decoded like any other row. */
const summaryCodec = turnCodec.pick<TurnSummary>(['id', 'parentId', 'depth', 'kind', 'status', 'prompt', 'seedUsed', 'costMicros', 'originKind', 'errorCode', 'drift', 'pinnedAt']);

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
const columnList = <Row>(codec: RowCodec<Row>) => codec.columns.map((c) => c.sql).join(', ');

const SELECT_SESSION = `select ${sessionCodec.select} from sessions where id = ?`;
const SELECT_TURN = `select ${turnCodec.select} from turns where id = ?`;
const SELECT_OUTPUTS = `select ${outputCodec.select} from outputs where turn_id = ? order by idx`;
const INSERT_SESSION = `insert into sessions (${columnList(sessionCodec)}) values (${placeholders(sessionCodec.columns.length)})`;
const INSERT_TURN = `insert into turns (${columnList(turnCodec)}, segment_id) values (${placeholders(turnCodec.columns.length + 1)})`;
const INSERT_OUTPUT = `insert into outputs (${columnList(outputCodec)}) values (${placeholders(outputCodec.columns.length)})`;
/** The same hash is the same bytes: a blob already recorded is left as it is. */
const INSERT_BLOB_IF_NEW = `insert into blobs (${columnList(blobCodec)}) values (${placeholders(blobCodec.columns.length)}) on conflict (hash) do nothing`;
const MOVE_HEAD = 'update sessions set head_turn_id = ?, redo_stack = ?, head_ref = ?, updated_at = ? where id = ?';
/** The branch HEAD is attached to, if it points at the given turn (HEAD's turn, before a move). */
const ATTACHED_BRANCH_AT = 'select refs.name from sessions join refs on refs.session_id = sessions.id and refs.name = sessions.head_ref where sessions.id = ? and refs.turn_id = ?';
/** The unfinished statuses, from transitions.ts, for SQL. */
const IN_FLIGHT_SQL = `status in (${IN_FLIGHT_STATUSES.map((st) => `'${st}'`).join(', ')})`;
/**
 * Every column that names a blob, one `select` each: what archive collection keeps. A new place
 * that refers to images is one more line here (and in the PostgreSQL store's list).
 */
const BLOB_REFERENCE_SOURCES = [
  'select blob_hash from outputs',
  'select input_blob from turns where input_blob is not null',
  // A turn's reference images: a JSON array of hashes.
  'select value from turns, json_each(turns.reference_blobs)',
] as const;
const REFERENCED_BLOBS = BLOB_REFERENCE_SOURCES.join(' union ');
const INSERT_REF = `insert into refs (${columnList(refCodec)}) values (${placeholders(refCodec.columns.length)})`;

/**
 * The segments on the path to a turn, nearest first: the turn's own (up to its depth), then
 * for each segment the one holding the parent of its first turn (up to that parent's depth).
 */
const PATH_SEGMENTS = `with recursive segs(n, seg, max_depth) as (
    select 0, segment_id, depth from turns where id = ?
    union all
    select segs.n + 1, parent.segment_id, parent.depth
    from segs join turns first on first.id = segs.seg join turns parent on parent.id = first.parent_id
  )`;

/** `down(id)`: a turn and all its descendants (bind the turn's id). */
const SUBTREE_IDS = `with recursive down(id) as (
    select id from turns where id = ?
    union all
    select t.id from turns t join down on t.parent_id = down.id
  )`;

/** Each segment's ids root-side first, as one string per segment (read from the (segment, depth, id) index). */
const PATH_SEGMENTS_IDS = `${PATH_SEGMENTS}
  select n, (select group_concat(id, ' ' order by depth) from turns where segment_id = segs.seg and depth <= segs.max_depth) from segs order by n`;

/** `'pending', 'submitted'`: the statuses a turn may move to `to` from, for a conditional UPDATE. */
function statusesInto(to: TurnStatus): string {
  return (Object.keys(TURN_TRANSITIONS) as TurnStatus[])
    .filter((from) => canTransition(from, to))
    .map((s) => `'${s}'`)
    .join(', ');
}

/** `a = ?, b = ?` and the values to bind, for the defined keys of `patch`. */
function setClause<Row>(codec: RowCodec<Row>, patch: Partial<Row>): { sql: string; values: unknown[] } {
  const keys = Object.keys(patch) as (keyof Row & string)[];
  return { sql: keys.map((k) => `${codec.sqlName(k)} = ?`).join(', '), values: keys.map((k) => codec.encode(k, patch[k])) };
}

/**
 * Runs `fn`, turning SQLite's "database is locked" (another process held the write lock for
 * longer than busy_timeout) into a StoreBusyError: a retryable state, never a crash.
 */
function busyAsTyped<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) throw new StoreBusyError({ cause: error });
    throw error;
  }
}

function* decodeEach<Row>(rows: Iterable<unknown[]>, codec: RowCodec<Row>): Generator<Row, void, undefined> {
  for (const values of rows) yield codec.decode(values);
}

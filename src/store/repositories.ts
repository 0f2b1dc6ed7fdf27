import type { QualitySettings } from '../quality/types.js';
import type { BlobRow, OutputRow, RefRow, SessionRow, TurnKind, TurnRow, TurnStatus } from './rows.js';

/**
 * What the engine asks of a store, one interface per aggregate. Every method that writes more
 * than one row is one transaction, and every decision a write makes (HEAD's move, a budget
 * check, a branch name, a lease) is made inside it, so two processes — or two servers on one
 * PostgreSQL database — never lose each other's writes.
 */

export interface NewSession {
  title?: string;
  owner?: string | null;
  defaultEndpoint: string;
  defaultParams?: Record<string, unknown>;
  budgetMicros?: number | null;
  quality?: QualitySettings;
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
  /** Archived reference images sent beside the input, in order. Default none. */
  referenceBlobs?: readonly string[];
  originTurnId?: string | null;
  originKind?: TurnRow['originKind'];
  sizes?: TurnRow['sizes'];
  qualityOptions?: TurnRow['qualityOptions'];
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
    | 'leaseOwner'
    | 'leaseExpiresAt'
    | 'sizes'
    | 'drift'
  >
>;

export type NewOutput = Omit<OutputRow, 'turnId'>;
export type NewBlob = Omit<BlobRow, 'createdAt'>;

/** The fields of a session that `updateSession` may change. */
export type SessionPatch = Partial<Pick<SessionRow, 'title' | 'defaultEndpoint' | 'defaultParams' | 'budgetMicros' | 'owner' | 'quality'>>;

/** A branch name, or `{ numbered: base }` for the first free `base-1`, `base-2`, … */
export type BranchName = string | { numbered: string };

/** What {@link TurnRepository.deleteSubtree} did. */
export interface SubtreeDeletion {
  sessionId: string;
  /** The deleted subtree's parent, where HEAD and moved branches now point. */
  parentId: string;
  /** Parents before children. */
  deletedTurnIds: string[];
  movedBranches: string[];
  deletedBranches: string[];
  /** Set when HEAD was inside the subtree. */
  headMovedTo: string | undefined;
}

export interface AppendOptions {
  /**
   * The turn's estimated cost, reserved as its `costMicros` until it settles, and checked against
   * the session's budget in the same transaction (BUDGET_EXCEEDED refuses the write).
   */
  reserveMicros?: number;
  /** HEAD moves to the new turn, taking along the branch it is attached to if that points at the parent. */
  moveHead?: boolean;
  /** Write the turn already leased to this runner, which is about to run it (saves a claim's write). */
  lease?: { owner: string; ttlMs: number };
  /** Write the turn already succeeded with these outputs (memo hits, exact replays, source images), atomically. */
  complete?: { outputs: readonly NewOutput[]; patch?: TurnPatch; newBlobs?: readonly NewBlob[] };
}

/** What `kontext log` shows of a turn. */
export type TurnSummary = Pick<TurnRow, 'id' | 'parentId' | 'depth' | 'kind' | 'status' | 'prompt' | 'seedUsed' | 'costMicros' | 'originKind' | 'errorCode' | 'drift' | 'pinnedAt'>;

/** The rows of one whole session, as a bundle carries them. */
export interface SessionGraph {
  session: SessionRow;
  turns: readonly TurnRow[];
  outputs: readonly OutputRow[];
  refs: readonly RefRow[];
  blobs: readonly BlobRow[];
}

export interface SessionRepository {
  createSession(input: NewSession): Promise<SessionRow>;
  /** A session whose root is an existing image, branch `main` on it and HEAD attached: one transaction. */
  createSessionFromImage(input: NewSession, image: NewOutput, rootPatch?: TurnPatch): Promise<{ session: SessionRow; root: TurnRow }>;
  /** A session whose root is a text-to-image turn still to run, branch `main` on it and HEAD attached: one transaction. */
  createSessionFromPrompt(input: NewSession, root: Omit<NewTurn, 'sessionId' | 'parentId'>, options?: Pick<AppendOptions, 'lease' | 'reserveMicros'>): Promise<{ session: SessionRow; root: TurnRow }>;
  getSession(id: string): Promise<SessionRow>;
  findSession(id: string): Promise<SessionRow | undefined>;
  /** Sessions newest first; with `owner`, only that owner's (null: the unowned ones). */
  listSessions(filter?: { owner?: string | null }): Promise<SessionRow[]>;
  updateSession(id: string, patch: SessionPatch): Promise<SessionRow>;
  deleteSession(id: string): Promise<void>;
  /** What a session's turns have spent or reserved, in micro-dollars. */
  sessionCostMicros(sessionId: string): Promise<number>;
  /** Writes a whole session (an imported bundle) in one transaction; nothing is written if any row fails. */
  insertSessionGraph(graph: SessionGraph): Promise<void>;
}

export interface TurnRepository {
  /** Writes a new turn below a parent of the same session (with `moveHead`, HEAD follows in the same transaction). */
  appendTurn(input: NewTurn, options?: AppendOptions): Promise<TurnRow>;
  /** Writes a chain of finished turns below `parentId`, optionally with a branch at the last and HEAD on it: one transaction. */
  appendChain(
    sessionId: string,
    parentId: string,
    steps: readonly { turn: Omit<NewTurn, 'sessionId' | 'parentId' | 'status'>; outputs: readonly NewOutput[]; patch?: TurnPatch }[],
    options?: { branch?: BranchName },
  ): Promise<{ turns: TurnRow[]; branch?: string }>;
  getTurn(id: string): Promise<TurnRow>;
  findTurn(id: string): Promise<TurnRow | undefined>;
  /** Turns whose id starts with `prefix` (case-sensitive, literal), optionally within a session, at most `limit` (10). */
  findTurnsByPrefix(prefix: string, options?: { sessionId?: string; limit?: number }): Promise<TurnRow[]>;
  /** Moves a turn along an allowed transition with `patch` in the same write; refused moves throw ConflictError. */
  transitionTurn(id: string, to: TurnStatus, patch?: TurnPatch): Promise<TurnRow>;
  /** Ends an unfinished turn as failed or cancelled, releasing its reservation; branches and HEAD step back to the last good turn. */
  endUnfinishedTurn(id: string, to: 'failed' | 'cancelled', patch?: TurnPatch): Promise<{ turn: TurnRow; headMovedTo?: string }>;
  /** Updates fields of a turn without changing its status. */
  patchTurn(id: string, patch: TurnPatch): Promise<TurnRow>;
  /**
   * Records, just before a submit is sent, the request and the moment — only while the turn is
   * pending and leased to `owner` (undefined otherwise: nothing may be sent). Reserves the cost
   * in the same write, refused over budget.
   */
  markSubmitAttempt(id: string, owner: string, params: Record<string, unknown>, at: Date, costMicros: number): Promise<TurnRow | undefined>;
  /** Writes a turn's outputs (and the metadata of new blobs) and marks it succeeded: one transaction. */
  completeTurn(id: string, newOutputs: readonly NewOutput[], patch?: TurnPatch, newBlobs?: readonly NewBlob[]): Promise<TurnRow>;
  /** Picks which output the next edit continues from (ValidationError for an index it does not have). */
  selectOutput(turnId: string, index: number): Promise<TurnRow>;
  /** The URL a parent's provider gave for one of its outputs, who gave it, and its content type. */
  inputSource(parentId: string, blobHash: string): Promise<{ providerUrl: string | null; urlProvider: string | null; contentType: string | null }>;
  outputsOf(turnId: string): Promise<OutputRow[]>;
  /** Outputs of many turns at once, keyed by turn id. */
  outputsOfMany(turnIds: readonly string[]): Promise<Map<string, OutputRow[]>>;
  /** A session, its HEAD turn and that turn's outputs, as of one moment. */
  headOf(sessionId: string): Promise<{ session: SessionRow; head: TurnRow | undefined; headOutputs: OutputRow[] }>;
  /** A turn and its outputs, as of one moment. */
  turnWithOutputs(id: string): Promise<{ turn: TurnRow; outputs: OutputRow[] }>;
  /** The ids on the path root → `turnId`, in order. */
  pathIds(turnId: string): Promise<string[]>;
  /** The path root → `turnId`, in order. */
  path(turnId: string): Promise<TurnRow[]>;
  /** What a log line shows of each turn on the path root → `turnId`. */
  pathSummaries(turnId: string): Promise<TurnSummary[]>;
  /** Children oldest first. */
  children(turnId: string): Promise<TurnRow[]>;
  /** `turnId` and all its descendants, parents before children. */
  subtree(turnId: string): Promise<TurnRow[]>;
  /** Every turn of a session, parents before children, siblings oldest first. */
  listTurns(sessionId: string): Promise<TurnRow[]>;
  /** What a log line shows of every turn of a session, in listTurns' order; read it to the end before the next write. */
  turnSummaries(sessionId: string): Promise<IterableIterator<TurnSummary>>;
  /** Unfinished turns (pending, submitted, running), oldest first, in every session or one. */
  inFlightTurns(sessionId?: string): Promise<TurnRow[]>;
  /** A succeeded turn with the same endpoint, input and reference images, fixed seed and params, whose outputs may be reused. */
  findMemo(key: { endpointId: string; inputBlob: string | null; referenceBlobs?: readonly string[]; seed: number; params: Record<string, unknown> }): Promise<TurnRow | undefined>;
  /**
   * The unfinished turn a provider's job belongs to, if any: a webhook names its job by the
   * provider's request id. Finished turns are not looked at (a webhook for one changes nothing).
   */
  findInFlightTurnByRequest(provider: string, requestId: string): Promise<TurnRow | undefined>;
  /**
   * Copies the path root → `turnId` (or with `whole` the session's whole tree) into a new
   * session of the same owner, in one transaction that reads what it copies: a delete or an
   * archive collection running meanwhile sees the fork whole or not at all. planFork.ts says
   * what is copied. Refused (CONFLICT) unless the turn has succeeded: HEAD of the fork goes there.
   */
  forkSession(turnId: string, options?: { whole?: boolean; title?: string }): Promise<{ session: SessionRow; copies: Map<string, string>; skipped: string[] }>;
  /** Pins or unpins a succeeded turn (idempotent: pinning again keeps the first pin's time). */
  setPinned(turnId: string, pinned: boolean): Promise<TurnRow>;
  /** A session's pinned turns, in the order they were pinned. */
  pinnedTurns(sessionId: string): Promise<TurnRow[]>;
  /** Deletes a turn and everything below it (refused while any of it is unfinished, and for the root). */
  deleteSubtree(turnId: string, options?: { deleteBranches?: boolean }): Promise<SubtreeDeletion>;
}

export interface BranchRepository {
  /** Undo: HEAD (and its attached branch) steps to the parent; the turn it left goes on the redo stack. */
  undoHead(sessionId: string): Promise<SessionRow>;
  /** Redo: HEAD moves back down to the turn the last undo left. */
  redoHead(sessionId: string): Promise<SessionRow>;
  /** Moves HEAD (attached to `branch`'s tip, or detached at `turnId`); with `expectHead`, a compare-and-set (undefined when HEAD moved). */
  checkoutHead(sessionId: string, target: { turnId: string; branch?: string; expectHead?: string | null }): Promise<SessionRow | undefined>;
  /** Creates or moves a branch. */
  setRef(sessionId: string, name: string, turnId: string): Promise<RefRow>;
  /** Creates a branch that does not exist yet (ConflictError when it does). */
  createRef(sessionId: string, name: string, turnId: string): Promise<RefRow>;
  /** Creates a branch before the work that grows it spends anything; `{ numbered }` takes the first free `<base>-N`. */
  reserveBranch(sessionId: string, name: BranchName, turnId: string): Promise<RefRow>;
  /** Moves a branch; with `attachHead`, HEAD goes there attached to it. */
  moveBranch(sessionId: string, name: string, turnId: string, options?: { attachHead?: boolean }): Promise<SessionRow>;
  findRef(sessionId: string, name: string): Promise<RefRow | undefined>;
  /** Branches by name. */
  listRefs(sessionId: string): Promise<RefRow[]>;
  deleteRef(sessionId: string, name: string): Promise<void>;
  renameRef(sessionId: string, from: string, to: string): Promise<RefRow>;
}

export interface LeaseRepository {
  /**
   * Takes the right to run an unfinished turn for `ttlMs` and hands back the turn as it now
   * stands, or undefined when another live holder has it. Exactly one of several claimers wins.
   */
  claimTurn(turnId: string, owner: string, ttlMs: number, isHolderGone?: (holder: string) => boolean): Promise<TurnRow | undefined>;
  /** Extends every lease `owner` holds on unfinished turns; how many. */
  renewLeases(owner: string, ttlMs: number): Promise<number>;
  releaseTurn(turnId: string, owner: string): Promise<void>;
}

export interface BlobRepository {
  /** Records a blob's metadata (idempotent: the same hash is the same bytes). */
  recordBlob(blob: NewBlob): Promise<BlobRow>;
  findBlob(hash: string): Promise<BlobRow | undefined>;
  /**
   * For archive collection, as of one moment: every blob hash a row refers to, and when the
   * oldest unfinished turn was written (null when none is): any blob put since then may be one
   * a running turn is about to record.
   */
  blobReferences(): Promise<{ referenced: Set<string>; oldestInFlightAt: Date | null }>;
  /**
   * Of `hashes`, those that no row refers to now, with their metadata rows deleted (`dryRun`:
   * only found), in one transaction. Once a blob's row is gone, a row referring to it fails its
   * foreign key unless its writer records the blob again: so the bytes of the hashes returned may go.
   */
  releaseUnreferencedBlobs(hashes: readonly string[], options?: { dryRun?: boolean }): Promise<{ hashes: string[]; rows: number }>;
}

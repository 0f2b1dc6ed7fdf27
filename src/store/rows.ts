import type { TurnKind, TurnStatus } from '../model/Turn.js';
import type { QualitySettings, TurnDrift, TurnQualityOptions, TurnSizes } from '../quality/types.js';

/**
 * The rows every store hands out, whatever the database. Each dialect's drizzle schema
 * (src/store/<dialect>/schema.ts) is checked against these types at compile time, so a column
 * added to one dialect and not the other does not build.
 */

export type { TurnKind, TurnStatus };

export interface SessionRow {
  id: string;
  title: string;
  /** Who may see the session through the server (token owner); null for local use. */
  owner: string | null;
  headTurnId: string | null;
  /** The branch HEAD is attached to, or null when detached. */
  headRef: string | null;
  /** Turns we undid from, most recent last. */
  redoStack: string[];
  defaultEndpoint: string;
  defaultParams: Record<string, unknown>;
  /** Spending cap in micro-dollars, or null for none. */
  budgetMicros: number | null;
  quality: QualitySettings;
  createdAt: Date;
  updatedAt: Date;
}

export interface TurnRow {
  id: string;
  sessionId: string;
  parentId: string | null;
  depth: number;
  kind: TurnKind;
  endpointId: string | null;
  provider: string | null;
  prompt: string | null;
  params: Record<string, unknown>;
  seedRequested: number | null;
  seedUsed: number | null;
  status: TurnStatus;
  requestId: string | null;
  providerHandle: Record<string, unknown> | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorDetail: unknown;
  timings: Record<string, number> | null;
  /** Actual cost once finished; while unfinished, the estimate reserved against the budget. */
  costMicros: number;
  selectedOutput: number;
  inputBlob: string | null;
  /** Archived reference images sent beside the input, in order (empty for most turns). */
  referenceBlobs: string[];
  originTurnId: string | null;
  originKind: 'memo' | 'replay-exact' | 'replay-fresh' | 'whatif' | 'fork' | null;
  /** Set just before the submit is sent: a resume must not submit such a turn again. */
  submitAttemptedAt: Date | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  sizes: TurnSizes | null;
  qualityOptions: TurnQualityOptions | null;
  drift: TurnDrift | null;
  /** When the turn was pinned as a favourite, or null. */
  pinnedAt: Date | null;
}

export interface OutputRow {
  turnId: string;
  index: number;
  providerUrl: string | null;
  blobHash: string;
  width: number | null;
  height: number | null;
  contentType: string;
  nsfw: boolean;
}

export interface BlobRow {
  /** Lower-case hex sha256 of the bytes. */
  hash: string;
  size: number;
  contentType: string;
  width: number | null;
  height: number | null;
  createdAt: Date;
}

export interface RefRow {
  sessionId: string;
  name: string;
  turnId: string;
  createdAt: Date;
}

/** Compile-time check that a dialect's selected row has exactly the fields and types of a row type. */
export type SameRow<Dialect, Row> = [Dialect] extends [Row] ? ([Row] extends [Dialect] ? true : false) : false;

import type { KontextEditInput } from '../kontext/schemas.js';
import type { TurnDrift, TurnQualityOptions, TurnSizes } from '../quality/types.js';

export type TurnKind = 'source' | 'text' | 'edit';
export type TurnStatus = 'pending' | 'submitted' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * A turn's request parameters as validated and sent (the image aside: `inputBlob` names it).
 * The Kontext fields are typed; an endpoint may add its own, which stay `unknown`.
 */
export type TurnParams = Partial<Omit<KontextEditInput, 'image_url'>> & { readonly [field: string]: unknown };

/** One picture a turn produced (a turn asked for `num_images` may have up to four). */
export interface Output {
  /** Candidate number, 0-based; `Turn.selectedOutput` says which one the next edit continues from. */
  index: number;
  /** sha256 of the archived bytes: the image's name in the archive, which never expires. */
  blobHash: string;
  width: number | null;
  height: number | null;
  contentType: string;
  /** The provider's safety checker flagged it. */
  nsfw: boolean;
  /** Where the provider served it from; may have expired. The archive (`blobHash`) is what counts. */
  providerUrl: string | null;
}

/**
 * One step of a session's tree: a source image (the root), a text-to-image generation, or an
 * edit of its parent's picked output. Once finished, a turn never changes except which
 * output is picked and whether it is pinned.
 */
export interface Turn {
  id: string;
  sessionId: string;
  /** Null only for the root. */
  parentId: string | null;
  /** 0 for the root. */
  depth: number;
  kind: TurnKind;
  status: TurnStatus;
  /** The instruction (edit) or description (text); null for a source image. */
  prompt: string | null;
  endpointId: string | null;
  /** `fal`, `local`, …; `web` for a source image fetched from a URL; null for an upload. */
  provider: string | null;
  params: TurnParams;
  /** The seed asked for, or null when the provider chose one. */
  seedRequested: number | null;
  /** The seed the provider reports it used: with `params`, what reproduces the turn. */
  seedUsed: number | null;
  /** The provider's id of the job, kept from the moment the submit answered. */
  requestId: string | null;
  /** Why a failed or cancelled turn ended: an error code (see the README's Errors table) and message. */
  errorCode: string | null;
  errorMessage: string | null;
  /** The provider's structured detail of the error, when it gave one. */
  errorDetail: unknown;
  /** Seconds as the provider reports them (`inference`), and the engine's own (`*_ms`). */
  timings: Record<string, number> | null;
  /** Cost in micro-dollars ($1 = 1,000,000); while unfinished, the estimate reserved against the budget. */
  costMicros: number;
  selectedOutput: number;
  /** sha256 of the image this turn edited (its parent's picked output then). */
  inputBlob: string | null;
  /** sha256 of each reference image sent beside the input image, in the order sent (empty for most turns). */
  referenceBlobs: string[];
  /** The turn this one reused (memo, exact replay) or re-ran (fresh replay, what-if). */
  originTurnId: string | null;
  /** `fork`: a copy of the turn `originTurnId` names, made by `engine.fork` into this session. */
  originKind: 'memo' | 'replay-exact' | 'replay-fresh' | 'whatif' | 'fork' | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  outputs: Output[];
  /** Input, output and source sizes, and whether the provider changed the shape (edits). */
  sizes: TurnSizes | null;
  /** How far the picked output moved outside the edit, from the parent and from the root (succeeded edits). */
  drift: TurnDrift | null;
  /** This turn's own quality choices (region preservation), over the session's. */
  qualityOptions: TurnQualityOptions | null;
  /** Marked as a favourite (`engine.pin`); listed by `engine.pins`. */
  pinned: boolean;
}

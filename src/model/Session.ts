import type { QualitySettings } from '../quality/types.js';
import type { TurnParams } from './Turn.js';

/** A chat's editing history: a tree of turns, with HEAD (where the next edit continues) and branches. */
export interface Session {
  id: string;
  title: string;
  /** Who may see it through the server (the token's owner); null for local use. */
  owner: string | null;
  /** The turn the next edit continues from; null only before the root exists. */
  headTurnId: string | null;
  /** The branch HEAD is attached to (an edit from its tip moves it along), or null when detached. */
  headRef: string | null;
  /** Turns `redo` walks back to, most recent last. */
  redoStack: string[];
  /** The edit endpoint of turns that name none. */
  defaultEndpoint: string;
  /** Parameters every turn inherits unless it overrides them. */
  defaultParams: TurnParams;
  /** Spending cap in micro-dollars, or null for none. */
  budgetMicros: number | null;
  /** Edit-quality settings: size pinning, resize back, region preservation, drift warnings. */
  quality: QualitySettings;
  createdAt: Date;
  updatedAt: Date;
}

/** The public model an embedder sees: what the engine returns, with nothing of the store's bookkeeping. */
export type { Session } from './Session.js';
export type { Turn, Output, TurnParams, TurnKind, TurnStatus } from './Turn.js';
export type { Branch } from './Branch.js';

/** A turn that another process or instance wrote; read everything else from the store. */
export interface TurnChange {
  sessionId: string;
  turnId: string;
}

/** Tells this process about turn writes made by other processes sharing the store. */
export interface ChangeFeed {
  /** Calls `listener` for each turn written elsewhere; returns the unsubscribe. */
  subscribe(listener: (change: TurnChange) => void): () => void;
  close(): Promise<void>;
}

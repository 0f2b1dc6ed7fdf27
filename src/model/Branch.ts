/** A named line of a session's tree, like a git branch: it points at a turn and moves with edits from its tip. */
export interface Branch {
  sessionId: string;
  name: string;
  turnId: string;
  createdAt: Date;
}

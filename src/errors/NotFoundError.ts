import { KontextError } from './KontextError.js';

/** A session, turn, branch, blob or request that does not exist (or is not yours). */
export class NotFoundError extends KontextError {
  readonly kind: string;
  readonly id: string;
  constructor(kind: string, id: string, message?: string) {
    super('NOT_FOUND', message ?? `${kind} '${id}' not found`, { details: { kind, id } });
    this.kind = kind;
    this.id = id;
  }
}

import { KontextError } from './KontextError.js';

/** Which side of a job a provider's moderation refused; `unknown` when its words do not say. */
export type ModerationStage = 'input' | 'output' | 'unknown';

/**
 * The provider refused the job on content grounds (BFL: `Request Moderated` for the input,
 * `Content Moderated` for the output; Replicate: a failed prediction flagged as sensitive). Kept apart from PROVIDER because retrying the same
 * request will not help, and because the user should see the provider's own words.
 */
export class ModeratedError extends KontextError {
  readonly stage: ModerationStage;
  readonly requestId: string | undefined;

  constructor(stage: ModerationStage, message: string, options: { requestId?: string; detail?: unknown } = {}) {
    super('MODERATED', message, { details: { stage, requestId: options.requestId, detail: options.detail } });
    this.stage = stage;
    this.requestId = options.requestId;
  }
}

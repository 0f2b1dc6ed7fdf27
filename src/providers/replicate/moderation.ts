import { ModeratedError, type ModerationStage } from '../../errors/ModeratedError.js';

/**
 * Replicate reports a refusal on content grounds as a failed prediction whose error says so in
 * words, e.g. "The input or output was flagged as sensitive. Please try again with different
 * inputs. (E005)" — E005 being Replicate's code for it. Such a failure is MODERATED, not
 * PROVIDER: retrying the same request will not help.
 */
const SENSITIVE = /\bsensitive\b|\bnsfw\b|\bE005\b|content moderat|flagged/i;

/** A ModeratedError when the prediction's error is a content refusal, else undefined. */
export function moderationOf(requestId: string, error: unknown): ModeratedError | undefined {
  const text = typeof error === 'string' ? error : error && typeof error === 'object' && typeof (error as { detail?: unknown }).detail === 'string' ? (error as { detail: string }).detail : undefined;
  if (text === undefined || !SENSITIVE.test(text)) return undefined;
  const stage = stageNamed(text);
  const which = stage === 'unknown' ? 'the request or its image' : stage === 'input' ? 'the request' : 'the image';
  return new ModeratedError(stage, `Replicate refused ${which} of prediction ${requestId} on content grounds: ${text.slice(0, 300)}`, { requestId, detail: error });
}

/** Which side the words blame: only when they name one ("the input or output" names neither). */
function stageNamed(text: string): ModerationStage {
  const input = /\binput\b/i.test(text);
  const output = /\boutput\b/i.test(text);
  if (input === output) return 'unknown';
  return input ? 'input' : 'output';
}

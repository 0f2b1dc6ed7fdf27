import { z } from 'zod';
import { ValidationError } from '../../errors/ValidationError.js';
import { describeIssues } from '../../kontext/validation.js';

/**
 * fal's queue protocol on the wire, as @fal-ai/client (libs/client/src/queue.ts) and the
 * queue docs describe it. Loose objects: fal adds fields over time and we must not break.
 */

export const FalLogLine = z
  .object({
    message: z.string(),
    level: z.string().optional(),
    source: z.string().optional(),
    timestamp: z.string().optional(),
  })
  .loose();
export type FalLogLine = z.output<typeof FalLogLine>;

/**
 * `IN_QUEUE` (with `queue_position`), `IN_PROGRESS` (with `logs` when asked for) and
 * `COMPLETED` (with `metrics`; a failed job is also COMPLETED, its result is the error).
 * Unknown statuses are kept as strings and treated as "not done yet", as fal-js does.
 */
export const FalStatus = z
  .object({
    status: z.string().min(1),
    queue_position: z.number().int().nullish(),
    logs: z.array(FalLogLine).nullish(),
    metrics: z.record(z.string(), z.unknown()).nullish(),
    response_url: z.string().nullish(),
    error: z.string().nullish(),
    error_type: z.string().nullish(),
  })
  .loose();
export type FalStatus = z.output<typeof FalStatus>;

/** The answer to a queue submit. The URLs are optional only so that we can say what is missing. */
export const FalSubmitAnswer = z
  .object({
    request_id: z.string().min(1),
    status_url: z.string().url().optional(),
    response_url: z.string().url().optional(),
    cancel_url: z.string().url().optional(),
    queue_position: z.number().int().nullish(),
  })
  .loose();

/**
 * All that is needed to find a queued job again, after a restart too: stored as
 * `SubmittedJob.handle`. The URLs are the ones the server returned — fal's drop the
 * endpoint's sub-path (`fal-ai/flux-pro/kontext/max` → `fal-ai/flux-pro/requests/<id>`),
 * so rebuilding them from the endpoint id is a guess we avoid. No key in here, ever.
 */
export const FalRequestHandle = z
  .object({
    requestId: z.string().min(1),
    statusUrl: z.string().url(),
    responseUrl: z.string().url(),
    cancelUrl: z.string().url(),
  })
  .strict();
export type FalRequestHandle = z.output<typeof FalRequestHandle>;

/** What submit returns: the handle plus the position fal reported at submit time. */
export interface FalSubmitted extends FalRequestHandle {
  queuePosition: number | undefined;
}

/** Reads a stored handle back (`SubmittedJob.handle` plus its request id). */
export function parseRequestHandle(requestId: string, handle: Record<string, unknown>): FalRequestHandle {
  const result = FalRequestHandle.safeParse({ requestId, ...pick(handle, ['statusUrl', 'responseUrl', 'cancelUrl']) });
  if (result.success) return result.data;
  throw new ValidationError(describeIssues(result.error.issues, { requestId, ...handle }), 'fal job handle');
}

function pick(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => key in record).map((key) => [key, record[key]]));
}

import { z } from 'zod';

/** BFL's answer to a submit: the job id and the URL to poll, which may be on a regional host. */
export const BflSubmitAnswer = z.object({ id: z.string().min(1), polling_url: z.url(), cost: z.number().optional() }).loose();

/** A poll answer. `result.sample` is the image URL; it expires after about ten minutes. */
export const BflPollAnswer = z
  .object({
    id: z.string().optional(),
    status: z.string(),
    result: z
      .object({ sample: z.string().min(1).optional(), seed: z.number().int().optional(), prompt: z.string().optional(), start_time: z.number().optional(), end_time: z.number().optional() })
      .loose()
      .nullish(),
    progress: z.number().nullish(),
    details: z.unknown().optional(),
  })
  .loose();
export type BflPollAnswer = z.output<typeof BflPollAnswer>;

/** What the provider stores with a turn: all it needs to poll the job from another process. */
export const BflHandle = z.object({
  pollingUrl: z.url(),
  model: z.string().min(1),
  seed: z.number().int().optional(),
  /** BFL was asked to call back (`webhook_url`): a wait polls only once woken, or after its fallback deadline. */
  webhook: z.boolean().optional(),
});
export type BflHandle = z.output<typeof BflHandle>;

/** BFL's statuses, as its API spells them. */
export const BFL_STATUS = {
  ready: 'Ready',
  pending: 'Pending',
  requestModerated: 'Request Moderated',
  contentModerated: 'Content Moderated',
  error: 'Error',
  notFound: 'Task not found',
} as const;

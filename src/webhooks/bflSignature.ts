import { createHmac, timingSafeEqual } from 'node:crypto';
import { jsonBody, requiredHeader, refuseStale, type VerifiedWebhook, type WebhookRequest } from './verified.js';
import { WebhookRefusedError } from './WebhookRefusedError.js';

/**
 * Verifies a BFL webhook: BFL signs the body with the job's `webhook_secret` (HMAC-SHA256, hex,
 * as `X-BFL-Signature: sha256=<hex>`). BFL sends no timestamp header; the body's `timestamp` is
 * covered by the signature, so that is the one judged stale or not.
 *
 * The secret is per turn, so the job is looked up (from the body's unverified `id`) before the
 * signature can be checked: `secretFor` answers undefined for a job no turn is waiting on.
 */
export async function verifyBflWebhook(
  webhook: WebhookRequest,
  secretFor: (requestId: string) => Promise<string | undefined>,
  now: number,
): Promise<VerifiedWebhook | { unknown: string }> {
  const header = requiredHeader('bfl', webhook.headers, 'x-bfl-signature');
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header);
  if (!match) throw new WebhookRefusedError('bfl', 'its X-BFL-Signature is not sha256=<64 hex digits>');
  const job = jsonBody('bfl', webhook.body);
  if (typeof job.id !== 'string' || job.id === '') throw new WebhookRefusedError('bfl', 'its body names no job id');
  const secret = await secretFor(job.id);
  if (secret === undefined) return { unknown: job.id };
  const expected = createHmac('sha256', secret).update(webhook.body).digest();
  const given = Buffer.from(match[1]!, 'hex');
  if (!timingSafeEqual(given, expected)) throw new WebhookRefusedError('bfl', 'its signature does not match the job’s webhook secret');
  if (typeof job.timestamp !== 'string') throw new WebhookRefusedError('bfl', 'its body has no timestamp');
  refuseStale('bfl', Date.parse(job.timestamp), now);
  return { requestId: job.id, deliveryId: `bfl:${match[1]!.toLowerCase()}` };
}

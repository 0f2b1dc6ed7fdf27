import { WEBHOOK_TOLERANCE_MS } from './settings.js';
import { WebhookRefusedError } from './WebhookRefusedError.js';

/** What a verified webhook tells: which job, and an id of this delivery for spotting replays. */
export interface VerifiedWebhook {
  requestId: string;
  deliveryId: string;
}

/** The raw request as the route read it: the signature covers these exact bytes. */
export interface WebhookRequest {
  headers: Headers;
  body: Uint8Array;
}

/** Refuses a signed timestamp (ms since the epoch) more than five minutes from `now`, either way. */
export function refuseStale(provider: string, timestampMs: number, now: number): void {
  if (!Number.isFinite(timestampMs)) throw new WebhookRefusedError(provider, 'its timestamp is not a number');
  const skew = Math.round((timestampMs - now) / 1000);
  if (Math.abs(timestampMs - now) > WEBHOOK_TOLERANCE_MS) {
    throw new WebhookRefusedError(provider, `its timestamp is ${Math.abs(skew)} s in the ${skew < 0 ? 'past' : 'future'}; allowed: within ${WEBHOOK_TOLERANCE_MS / 1000} s of now`);
  }
}

/** A header that must be there, or a refusal naming it. */
export function requiredHeader(provider: string, headers: Headers, name: string): string {
  const value = headers.get(name);
  if (value === null || value.trim() === '') throw new WebhookRefusedError(provider, `the ${name} header is missing`);
  return value.trim();
}

/**
 * A header holding the signed Unix time in whole seconds, refused when it is not one or is
 * stale; returned as sent, since the signature covers its text.
 */
export function timestampHeader(provider: string, headers: Headers, name: string, now: number): string {
  const timestamp = requiredHeader(provider, headers, name);
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookRefusedError(provider, `its ${name} is not a whole number of seconds`);
  refuseStale(provider, Number(timestamp) * 1000, now);
  return timestamp;
}

/** The body as JSON, or a refusal (it was signed, but is not what the provider sends). */
export function jsonBody(provider: string, body: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new WebhookRefusedError(provider, 'its body is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WebhookRefusedError(provider, 'its body is not a JSON object');
  return parsed as Record<string, unknown>;
}

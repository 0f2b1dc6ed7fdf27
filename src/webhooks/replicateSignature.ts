import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { jsonBody, requiredHeader, timestampHeader, type VerifiedWebhook, type WebhookRequest } from './verified.js';
import { WebhookRefusedError } from './WebhookRefusedError.js';

export interface ReplicateVerifierOptions {
  /** The signing secret (`whsec_…`), or undefined when there is none to be had. */
  secret: () => Promise<string | undefined>;
  now: () => number;
}

/**
 * Verifies Replicate's webhooks, which follow Standard Webhooks: HMAC-SHA256 over
 * `webhook-id.webhook-timestamp.body`, one or more `v1,<base64>` in `webhook-signature`. The
 * signature is computed by the `standardwebhooks` package; the timestamp is judged here, by the
 * injected clock, since the package's own check reads `Date.now()`.
 */
export class ReplicateWebhookVerifier {
  private signer: { secret: string; webhook: Webhook } | undefined;

  constructor(private readonly options: ReplicateVerifierOptions) {}

  async verify(webhook: WebhookRequest): Promise<VerifiedWebhook> {
    const { headers, body } = webhook;
    const id = requiredHeader('replicate', headers, 'webhook-id');
    const timestamp = timestampHeader('replicate', headers, 'webhook-timestamp', this.options.now());
    const signatures = requiredHeader('replicate', headers, 'webhook-signature');
    const expected = Buffer.from((await this.webhook()).sign(id, new Date(Number(timestamp) * 1000), body));
    const matches = signatures.split(' ').some((given) => {
      const candidate = Buffer.from(given);
      return candidate.length === expected.length && timingSafeEqual(candidate, expected);
    });
    if (!matches) throw new WebhookRefusedError('replicate', 'no signature in webhook-signature matches');
    const prediction = jsonBody('replicate', body);
    if (typeof prediction.id !== 'string' || prediction.id === '') throw new WebhookRefusedError('replicate', 'its body names no prediction id');
    return { requestId: prediction.id, deliveryId: `replicate:${id}` };
  }

  private async webhook(): Promise<Webhook> {
    let secret: string | undefined;
    try {
      secret = await this.options.secret();
    } catch {
      // Replicate's API could not tell us the secret just now: a 401 makes Replicate retry later.
      throw new WebhookRefusedError('replicate', 'its signing secret could not be read from Replicate just now');
    }
    if (secret === undefined) throw new WebhookRefusedError('replicate', 'no signing secret is configured (set REPLICATE_WEBHOOK_SECRET)');
    if (this.signer?.secret !== secret) {
      try {
        this.signer = { secret, webhook: new Webhook(secret) };
      } catch {
        throw new WebhookRefusedError('replicate', 'the configured signing secret is not a whsec_ base64 secret');
      }
    }
    return this.signer.webhook;
  }
}

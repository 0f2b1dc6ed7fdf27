import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { requiredHeader, timestampHeader, type VerifiedWebhook, type WebhookRequest } from './verified.js';
import { WebhookRefusedError } from './WebhookRefusedError.js';

/** fal's keys may rotate; its docs ask for a cache of at most a day. */
const JWKS_TTL_MS = 24 * 60 * 60_000;
/** After a signature no cached key verifies, the keys are fetched again at most this often (a rotation, not a flood). */
const JWKS_REFRESH_MIN_MS = 60_000;
const MAX_JWKS_BYTES = 64 * 1024;

export interface FalVerifierOptions {
  jwksUrl: string;
  now: () => number;
  /** The dispatcher the JWKS is fetched through. Default undici's global one. */
  dispatcher?: Dispatcher;
}

/**
 * Verifies fal's webhooks as fal's docs describe them: ED25519 over
 * `request_id \n user_id \n timestamp \n hex(sha256(body))` (from the `X-Fal-Webhook-Request-Id`,
 * `-User-Id` and `-Timestamp` headers), the signature hex in `X-Fal-Webhook-Signature`, checked
 * against any key of fal's JWKS (`keys[].x`, base64url). Keys are cached for a day.
 */
export class FalWebhookVerifier {
  private keys: KeyObject[] = [];
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private fetching: Promise<void> | undefined;

  constructor(private readonly options: FalVerifierOptions) {}

  async verify(webhook: WebhookRequest): Promise<VerifiedWebhook> {
    const { headers, body } = webhook;
    const requestId = requiredHeader('fal', headers, 'x-fal-webhook-request-id');
    const userId = requiredHeader('fal', headers, 'x-fal-webhook-user-id');
    const timestamp = timestampHeader('fal', headers, 'x-fal-webhook-timestamp', this.options.now());
    const signatureHex = requiredHeader('fal', headers, 'x-fal-webhook-signature');
    if (!/^[0-9a-f]{128}$/i.test(signatureHex)) throw new WebhookRefusedError('fal', 'its X-Fal-Webhook-Signature is not 64 bytes of hex');
    const message = Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${createHash('sha256').update(body).digest('hex')}`, 'utf8');
    const signature = Buffer.from(signatureHex, 'hex');
    const matches = () => this.keys.some((key) => verify(null, message, key, signature));
    await this.loadKeys(false);
    if (!matches()) {
      // A key fal rotated in since the cache was filled: fetch once more, then decide.
      if (this.options.now() - this.fetchedAt >= JWKS_REFRESH_MIN_MS) await this.loadKeys(true);
      if (!matches()) throw new WebhookRefusedError('fal', 'its signature matches none of fal’s published keys');
    }
    return { requestId, deliveryId: `fal:${signatureHex.toLowerCase()}` };
  }

  private async loadKeys(force: boolean): Promise<void> {
    if (!force && this.keys.length > 0 && this.options.now() - this.fetchedAt < JWKS_TTL_MS) return;
    this.fetching ??= this.fetchKeys().finally(() => {
      this.fetching = undefined;
    });
    await this.fetching;
  }

  private async fetchKeys(): Promise<void> {
    let document: unknown;
    try {
      const reply = await request(this.options.jwksUrl, {
        method: 'GET',
        headers: { accept: 'application/json' },
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      if (reply.statusCode !== 200) {
        await reply.body.dump();
        throw new Error(`HTTP ${reply.statusCode}`);
      }
      const text = await readLimited(reply.body, MAX_JWKS_BYTES);
      document = JSON.parse(text);
    } catch (error) {
      // Keys we had stay in use; without any, nothing can be verified, so the webhook is refused
      // (401: fal retries it later) and the turn's fallback poll finishes it meanwhile.
      if (this.keys.length > 0) return;
      throw new WebhookRefusedError('fal', `fal's signing keys could not be read from its JWKS (${(error as Error).message.slice(0, 120)})`);
    }
    const entries = (document as { keys?: unknown }).keys;
    const keys: KeyObject[] = [];
    for (const entry of Array.isArray(entries) ? entries : []) {
      const jwk = entry as { kty?: unknown; crv?: unknown; x?: unknown };
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') continue;
      try {
        // fal's JWKS has been seen padding `x` with '='; a JWK's base64url has none.
        keys.push(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x.replace(/=+$/, '') }, format: 'jwk' }));
      } catch {
        // A key we cannot read verifies nothing; the others still do.
      }
    }
    if (keys.length > 0) {
      this.keys = keys;
      this.fetchedAt = this.options.now();
    } else if (this.keys.length === 0) {
      throw new WebhookRefusedError('fal', "fal's JWKS holds no Ed25519 key");
    }
  }
}

async function readLimited(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`the JWKS is over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

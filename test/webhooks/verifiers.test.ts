import { createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBflWebhook } from '../../src/webhooks/bflSignature.js';
import { FalWebhookVerifier } from '../../src/webhooks/falSignature.js';
import { ReplicateWebhookVerifier } from '../../src/webhooks/replicateSignature.js';
import { WebhookRefusedError } from '../../src/webhooks/WebhookRefusedError.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const seconds = (ms: number) => String(Math.floor(ms / 1000));
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

async function refusal(promise: Promise<unknown>): Promise<WebhookRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookRefusedError);
  expect((error as WebhookRefusedError).code).toBe('AUTH');
  return error as WebhookRefusedError;
}

describe('fal webhooks: ED25519 with keys from a JWKS', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  let jwks: Server;
  let jwksUrl: string;
  let jwksFetches = 0;

  beforeAll(async () => {
    const jwk = publicKey.export({ format: 'jwk' });
    jwks = createServer((_req, res) => {
      jwksFetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...jwk, kid: 'test' }] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

  /** A delivery as fal sends it, signed with `key`. */
  function delivery(body: Uint8Array, timestamp: string, key = privateKey, requestId = 'req-1') {
    const message = `${requestId}\nuser-1\n${timestamp}\n${createHash('sha256').update(body).digest('hex')}`;
    const signature = sign(null, Buffer.from(message), key).toString('hex');
    const headers = new Headers({
      'x-fal-webhook-request-id': requestId,
      'x-fal-webhook-user-id': 'user-1',
      'x-fal-webhook-timestamp': timestamp,
      'x-fal-webhook-signature': signature,
    });
    return { headers, body };
  }

  it('accepts a signed delivery, names its job, and reads the keys once for many deliveries', async () => {
    const verifier = new FalWebhookVerifier({ jwksUrl, now: () => NOW });
    const before = jwksFetches;
    const body = bytes({ request_id: 'req-1', status: 'OK' });
    expect(await verifier.verify(delivery(body, seconds(NOW)))).toMatchObject({ requestId: 'req-1' });
    expect(await verifier.verify(delivery(body, seconds(NOW - 1000), privateKey, 'req-2'))).toMatchObject({ requestId: 'req-2' });
    expect(jwksFetches - before).toBe(1);
  });

  it('refuses a changed body, another key, a stale or future timestamp, and a missing header', async () => {
    const verifier = new FalWebhookVerifier({ jwksUrl, now: () => NOW });
    const body = bytes({ request_id: 'req-1', status: 'OK' });
    const signed = delivery(body, seconds(NOW));
    await refusal(verifier.verify({ headers: signed.headers, body: bytes({ request_id: 'req-1', status: 'ERROR' }) }));
    await refusal(verifier.verify(delivery(body, seconds(NOW), other.privateKey)));
    expect((await refusal(verifier.verify(delivery(body, seconds(NOW - 10 * 60_000))))).message).toMatch(/600 s in the past/);
    expect((await refusal(verifier.verify(delivery(body, seconds(NOW + 10 * 60_000))))).message).toMatch(/in the future/);
    const headers = new Headers(signed.headers);
    headers.delete('x-fal-webhook-signature');
    expect((await refusal(verifier.verify({ headers, body }))).message).toMatch(/x-fal-webhook-signature header is missing/);
  });
});

describe('Replicate webhooks: Standard Webhooks HMAC', () => {
  const secret = `whsec_${Buffer.from('a test signing secret, 32 bytes!').toString('base64')}`;
  const signer = new Webhook(secret);

  function delivery(body: Uint8Array, at: number, id = 'msg_1') {
    const headers = new Headers({ 'webhook-id': id, 'webhook-timestamp': seconds(at), 'webhook-signature': signer.sign(id, new Date(at), new TextDecoder().decode(body)) });
    return { headers, body };
  }

  it('accepts a signed delivery and names its prediction', async () => {
    const verifier = new ReplicateWebhookVerifier({ secret: async () => secret, now: () => NOW });
    expect(await verifier.verify(delivery(bytes({ id: 'pred-1', status: 'succeeded' }), NOW))).toEqual({ requestId: 'pred-1', deliveryId: 'replicate:msg_1' });
  });

  it('refuses a changed body, a stale timestamp, no configured secret, and a body without an id', async () => {
    const verifier = new ReplicateWebhookVerifier({ secret: async () => secret, now: () => NOW });
    const signed = delivery(bytes({ id: 'pred-1', status: 'succeeded' }), NOW);
    await refusal(verifier.verify({ headers: signed.headers, body: bytes({ id: 'pred-2', status: 'succeeded' }) }));
    expect((await refusal(verifier.verify(delivery(bytes({ id: 'pred-1' }), NOW - 6 * 60_000)))).message).toMatch(/in the past/);
    expect((await refusal(new ReplicateWebhookVerifier({ secret: async () => undefined, now: () => NOW }).verify(signed))).message).toMatch(/REPLICATE_WEBHOOK_SECRET/);
    expect((await refusal(verifier.verify(delivery(bytes({ status: 'succeeded' }), NOW)))).message).toMatch(/no prediction id/);
  });
});

describe('BFL webhooks: HMAC of the body with the job’s secret', () => {
  const secrets = new Map([['job-1', 'per-turn secret']]);
  const secretFor = async (id: string) => secrets.get(id);
  const signed = (body: Uint8Array, secret = 'per-turn secret') => ({ headers: new Headers({ 'x-bfl-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` }), body });

  it('accepts a signed delivery of a known job, and reports an unknown job without judging it', async () => {
    const body = bytes({ id: 'job-1', status: 'Ready', timestamp: new Date(NOW).toISOString() });
    expect(await verifyBflWebhook(signed(body), secretFor, NOW)).toMatchObject({ requestId: 'job-1' });
    expect(await verifyBflWebhook(signed(bytes({ id: 'job-9', status: 'Ready', timestamp: new Date(NOW).toISOString() })), secretFor, NOW)).toEqual({ unknown: 'job-9' });
  });

  it('refuses another secret, a stale body timestamp and a malformed signature header', async () => {
    const body = bytes({ id: 'job-1', status: 'Ready', timestamp: new Date(NOW).toISOString() });
    await refusal(verifyBflWebhook(signed(body, 'guessed'), secretFor, NOW));
    const stale = bytes({ id: 'job-1', status: 'Ready', timestamp: new Date(NOW - 30 * 60_000).toISOString() });
    expect((await refusal(verifyBflWebhook(signed(stale), secretFor, NOW))).message).toMatch(/in the past/);
    await refusal(verifyBflWebhook({ headers: new Headers({ 'x-bfl-signature': 'md5=abc' }), body }, secretFor, NOW));
  });
});

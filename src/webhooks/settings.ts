import { createHmac, randomBytes } from 'node:crypto';
import { ValidationError } from '../errors/ValidationError.js';
import { httpBaseUrl } from '../util/httpBaseUrl.js';

/** Where fal publishes the public keys its webhooks are signed with (fal's webhook docs). */
export const DEFAULT_FAL_JWKS_URL = 'https://rest.alpha.fal.ai/.well-known/jwks.json';
/** How long a turn waits for its webhook before polling the provider after all. */
export const DEFAULT_WEBHOOK_FALLBACK_MS = 120_000;
/** How far a webhook's signed timestamp may be from our clock: Standard Webhooks' and fal's five minutes. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60_000;

/** The providers that can call us back, and the route each one posts to (`<publicUrl>/webhooks/<provider>`). */
export const WEBHOOK_PROVIDERS = ['fal', 'bfl', 'replicate'] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

export function isWebhookProvider(name: string): name is WebhookProvider {
  return (WEBHOOK_PROVIDERS as readonly string[]).includes(name);
}

/** Options of provider webhooks (`webhooks` on openEngine / SessionEngine). Every one but `publicUrl` has a default. */
export interface WebhookOptions {
  /**
   * The base URL providers can reach `kontext serve` at, e.g. `https://kontext.example.com`.
   * Default `env.KONTEXT_PUBLIC_URL`. Without one, no webhook is asked for and turns poll.
   */
  publicUrl?: string;
  /** How long a turn waits for its webhook before polling instead. Default `env.KONTEXT_WEBHOOK_FALLBACK_MS` or 120 000 ms. */
  fallbackPollMs?: number;
  /** fal's JWKS (its webhook signing keys). Default `env.FAL_JWKS_URL` or fal's own. */
  falJwksUrl?: string;
  /** Replicate's webhook signing secret (`whsec_…`). Default `env.REPLICATE_WEBHOOK_SECRET`, else fetched once from Replicate's API. */
  replicateSecret?: string;
  /**
   * The key each BFL turn's own `webhook_secret` is derived from. Default `env.BFL_WEBHOOK_SECRET`,
   * else a random one per process: then only the process that submitted a job can verify its
   * webhook, and a job outliving it is finished by the fallback poll.
   */
  bflSecret?: string;
}

/** Webhook settings with every default applied. Holds secrets: never logged or stored. */
export interface WebhookSettings {
  publicUrl: string;
  fallbackPollMs: number;
  falJwksUrl: string;
  replicateSecret: string | undefined;
  bflSecret: string;
}

/** The settings, or undefined when no public URL is configured (webhooks off). */
export function resolveWebhookSettings(options: WebhookOptions = {}, env: Readonly<Record<string, string | undefined>> = process.env): WebhookSettings | undefined {
  const publicUrl = nonEmpty(options.publicUrl ?? env.KONTEXT_PUBLIC_URL);
  if (publicUrl === undefined) return undefined;
  const issues: { field: string; message: string }[] = [];
  const url = (field: string, value: string) => {
    const parsed = httpBaseUrl(value);
    if (parsed === undefined) issues.push({ field, message: `${JSON.stringify(value.slice(0, 200))} is not an http(s) URL without query or fragment` });
    return parsed ?? value;
  };
  const fallbackText = options.fallbackPollMs ?? nonEmpty(env.KONTEXT_WEBHOOK_FALLBACK_MS);
  const fallbackPollMs = fallbackText === undefined ? DEFAULT_WEBHOOK_FALLBACK_MS : Number(fallbackText);
  if (!Number.isFinite(fallbackPollMs) || fallbackPollMs < 0) issues.push({ field: 'webhooks.fallbackPollMs', message: `${String(fallbackText)} must be a non-negative number of milliseconds` });
  const settings: WebhookSettings = {
    publicUrl: url('webhooks.publicUrl', publicUrl),
    fallbackPollMs,
    falJwksUrl: url('webhooks.falJwksUrl', nonEmpty(options.falJwksUrl ?? env.FAL_JWKS_URL) ?? DEFAULT_FAL_JWKS_URL),
    replicateSecret: nonEmpty(options.replicateSecret ?? env.REPLICATE_WEBHOOK_SECRET),
    bflSecret: nonEmpty(options.bflSecret ?? env.BFL_WEBHOOK_SECRET) ?? randomBytes(32).toString('base64url'),
  };
  // The messages name fields, never the secrets' values.
  if (issues.length > 0) throw new ValidationError(issues, 'webhook settings');
  return settings;
}

/** The URL a provider is told to call back for its jobs. */
export function webhookUrlOf(settings: WebhookSettings, provider: WebhookProvider): string {
  return `${settings.publicUrl}/webhooks/${provider}`;
}

/**
 * The `webhook_secret` of one BFL turn: derived from the configured key and the turn id, so it
 * is never stored, and a secret BFL might leak for one job forges the webhooks of no other.
 */
export function bflTurnSecret(settings: Pick<WebhookSettings, 'bflSecret'>, turnId: string): string {
  return createHmac('sha256', settings.bflSecret).update(`kontext bfl webhook\n${turnId}`).digest('base64url');
}

function nonEmpty(value: string | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

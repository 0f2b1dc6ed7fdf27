export { WebhookHints, type WakeReason } from './WebhookHints.js';
export { WebhookReceiver, type WebhookOutcome } from './WebhookReceiver.js';
export { WebhookRefusedError } from './WebhookRefusedError.js';
export {
  DEFAULT_FAL_JWKS_URL,
  DEFAULT_WEBHOOK_FALLBACK_MS,
  WEBHOOK_PROVIDERS,
  resolveWebhookSettings,
  webhookUrlOf,
  type WebhookOptions,
  type WebhookProvider,
  type WebhookSettings,
} from './settings.js';

import { AuthError } from '../../errors/AuthError.js';
import type { KontextError } from '../../errors/KontextError.js';
import { ProviderError } from '../../errors/ProviderError.js';
import { RateLimitError } from '../../errors/RateLimitError.js';

export interface ErrorResponse {
  /** What we were doing, for the message: `submit to fal-ai/flux-pro/kontext`, `status of <id>`. */
  operation: string;
  status: number;
  /** The parsed JSON body, or its text when it was not JSON. Already redacted. */
  body: unknown;
  requestId?: string;
  retryAfterMs?: number;
  attempts?: number;
  /** Who answered, for messages. Default fal. */
  provider?: { label: string; keyEnv: string };
}

/**
 * The typed error for an HTTP error answer from fal: 401/403 → AuthError, 429 → RateLimitError,
 * anything else → ProviderError keeping the server's `detail` (for a 422, the list of
 * `{loc, msg, type}`, whose fields the message names).
 */
export function errorFromResponse(response: ErrorResponse): KontextError {
  const { operation, status, requestId } = response;
  const detail = detailOf(response.body);
  const explained = describeDetail(detail);
  const suffix = explained ? `: ${explained}` : '';
  const { label, keyEnv } = response.provider ?? { label: 'fal', keyEnv: 'FAL_KEY' };
  if (status === 401 || status === 403) {
    return new AuthError(`${label} refused the key for ${operation} (HTTP ${status})${suffix}; check ${keyEnv}`, status);
  }
  if (status === 429) {
    const tries = response.attempts === undefined ? '' : ` after ${response.attempts} ${response.attempts === 1 ? 'try' : 'tries'}`;
    return new RateLimitError(`${label} is rate limiting ${operation} (HTTP 429)${tries}${suffix}`, response.retryAfterMs);
  }
  const what = status === 422 ? `${label} rejected the input of ${operation}` : `${label} answered ${operation} with an error`;
  return new ProviderError(`${what} (HTTP ${status})${suffix}`, { status, detail, requestId });
}

/** fal (FastAPI) puts its explanation under `detail`; other proxies answer `{message}` or plain text. */
export function detailOf(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    if ('detail' in record) return record.detail;
    if (typeof record.message === 'string') return record.message;
    if (typeof record.error === 'string') return record.error;
  }
  return body;
}

/** One line for a message: `image_url: Failed to load the image; seed: …` for a 422 list. */
export function describeDetail(detail: unknown): string {
  let text: string;
  if (Array.isArray(detail)) {
    text = detail
      .map((item) => {
        if (item === null || typeof item !== 'object') return String(item);
        const { loc, msg } = item as { loc?: unknown; msg?: unknown };
        const path = Array.isArray(loc) ? loc.filter((part) => part !== 'body').join('.') : '';
        const message = typeof msg === 'string' ? msg : JSON.stringify(item);
        return path ? `${path}: ${message}` : message;
      })
      .join('; ');
  } else if (typeof detail === 'string') {
    text = detail;
  } else if (detail === undefined || detail === null || detail === '') {
    text = '';
  } else {
    text = JSON.stringify(detail);
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

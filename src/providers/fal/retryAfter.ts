/** The longest `Retry-After` we honour by default; a server asking for more is waited on this long. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

// RFC 9110 §5.6.7: recipients must accept all three HTTP-date forms.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Z][a-z]{5,8}, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * How long a `Retry-After` header asks the client to wait, in milliseconds, or `undefined`
 * when the header is absent or unreadable (the caller then falls back to its own backoff).
 *
 * RFC 9110 §10.2.3: the value is either `delay-seconds` (a non-negative whole number of
 * seconds) or an `HTTP-date`. A date in the past means "retry now" — the result is never
 * negative — and every result is capped at `maxMs`, so a misbehaving server cannot park a
 * caller for hours. Free-form dates are refused on purpose: `Date.parse('1.5')` is a date in 2001.
 *
 * @param value the header value (`null`/`undefined` when absent)
 * @param nowMs the current time in ms since the epoch (from the injected Clock)
 * @param maxMs the cap, default {@link DEFAULT_MAX_RETRY_AFTER_MS}
 * @example
 * parseRetryAfter('2', clock.now())                               // 2000
 * parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', Date.now())   // 0 (in the past)
 * parseRetryAfter('soon', Date.now())                             // undefined
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number, maxMs = DEFAULT_MAX_RETRY_AFTER_MS): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, maxMs);
  let date: number;
  if (IMF_FIXDATE.test(text) || RFC850_DATE.test(text)) date = Date.parse(text);
  // asctime carries no zone but is GMT by definition; without the suffix V8 would read local time.
  else if (ASCTIME_DATE.test(text)) date = Date.parse(`${text} GMT`);
  else return undefined;
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - nowMs), maxMs);
}

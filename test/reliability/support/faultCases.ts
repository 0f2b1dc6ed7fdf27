import type { FalFault } from '../../support/falTestServer.js';

/** What a fault case expects of its one edit turn. */
export type FaultExpectation = { status: 'succeeded' } | { status: 'failed'; code: string };

export interface FaultCase {
  name: string;
  faults: FalFault[];
  expect: FaultExpectation;
  /** Jobs the server may accept for the turn: 1, or 0 when every submit was refused before acceptance. */
  accepted: 0 | 1;
  /** Poll only (no status stream). */
  poll?: boolean;
  /** Upload the parent image instead of sending it inline, so storage faults are reached. */
  upload?: boolean;
  /** Point the queue at a port nothing listens on. */
  refused?: boolean;
  /** Sleeps the client must have asked for (Retry-After), in ms. */
  sleeps?: (sleeps: readonly number[]) => boolean;
  /** Part of the fast subset that runs in `npm test`. */
  fast?: boolean;
}

const ok = { status: 'succeeded' } as const;
const failed = (code: string) => ({ status: 'failed', code }) as const;
/** An HTTP-date `seconds` from now, as a server would send in Retry-After. */
const httpDateIn = (seconds: number) => new Date(Date.now() + seconds * 1000).toUTCString();

/**
 * The fault matrix: each case injects faults into the fal test server around one edit.
 * Every turn must end succeeded or failed with a typed, recorded reason; none may stay in
 * flight; no turn may be accepted (paid for) twice.
 */
export const FAULT_CASES: readonly FaultCase[] = [
  // ---- submit
  { name: '429 on submit with Retry-After: 2, then accepted', faults: [{ on: 'submit', kind: 'status', status: 429, retryAfter: '2' }], expect: ok, accepted: 1, sleeps: (s) => s.includes(2000), fast: true },
  { name: '429 on submit with an HTTP-date Retry-After, then accepted', faults: [{ on: 'submit', kind: 'status', status: 429, retryAfter: httpDateIn(20) }], expect: ok, accepted: 1, sleeps: (s) => s.some((ms) => ms > 5000 && ms <= 20_000) },
  { name: '429 on every submit try', faults: [{ on: 'submit', kind: 'status', status: 429, retryAfter: '1', times: 10 }], expect: failed('RATE_LIMITED'), accepted: 0, fast: true },
  { name: '500 on submit (not retried: fal may have started)', faults: [{ on: 'submit', kind: 'status', status: 500 }], expect: failed('PROVIDER'), accepted: 0, fast: true },
  { name: '502 on submit, then accepted', faults: [{ on: 'submit', kind: 'status', status: 502 }], expect: ok, accepted: 1 },
  { name: '503 on submit, then accepted', faults: [{ on: 'submit', kind: 'status', status: 503 }], expect: ok, accepted: 1, fast: true },
  { name: '503 on every submit try', faults: [{ on: 'submit', kind: 'status', status: 503, times: 10 }], expect: failed('PROVIDER'), accepted: 0 },
  { name: '504 on submit, then accepted', faults: [{ on: 'submit', kind: 'status', status: 504 }], expect: ok, accepted: 1 },
  { name: 'connection refused (nothing listening)', faults: [], expect: failed('NETWORK'), accepted: 0, refused: true, fast: true },
  { name: 'connection dropped before accept', faults: [{ on: 'submit', kind: 'reset' }], expect: failed('AMBIGUOUS_SUBMIT'), accepted: 0 },
  { name: 'connection dropped after accept', faults: [{ on: 'submit', kind: 'drop-after-accept' }], expect: failed('AMBIGUOUS_SUBMIT'), accepted: 1, fast: true },
  { name: 'submit accepted but never answered (response timeout)', faults: [{ on: 'submit', kind: 'hang' }], expect: failed('AMBIGUOUS_SUBMIT'), accepted: 1 },
  { name: '401 on submit (key refused)', faults: [{ on: 'submit', kind: 'status', status: 401, body: { detail: 'Invalid credentials' } }], expect: failed('AUTH'), accepted: 0 },
  { name: '422 on submit (input refused)', faults: [{ on: 'submit', kind: 'status', status: 422, body: { detail: [{ loc: ['body', 'prompt'], msg: 'refused by policy', type: 'value_error' }] } }], expect: failed('PROVIDER'), accepted: 0 },
  // ---- status
  { name: 'status stream refused (500): falls back to polling', faults: [{ on: 'stream', kind: 'status', status: 500 }], expect: ok, accepted: 1, fast: true },
  { name: 'status stream refused (405): falls back to polling', faults: [{ on: 'stream', kind: 'status', status: 405 }], expect: ok, accepted: 1 },
  { name: 'status stream connection dropped: falls back to polling', faults: [{ on: 'stream', kind: 'reset' }], expect: ok, accepted: 1 },
  { name: 'status stream cut after the first event', faults: [{ on: 'stream', kind: 'cut' }], expect: ok, accepted: 1 },
  { name: 'status stream never answers (slow status)', faults: [{ on: 'stream', kind: 'hang' }], expect: ok, accepted: 1, fast: true },
  { name: '500, 502, 503 on status polls', faults: [{ on: 'status', kind: 'status', status: 500 }, { on: 'status', kind: 'status', status: 502 }, { on: 'status', kind: 'status', status: 503 }], expect: ok, accepted: 1, poll: true },
  { name: '429 on a status poll with Retry-After: 1', faults: [{ on: 'status', kind: 'status', status: 429, retryAfter: '1' }], expect: ok, accepted: 1, poll: true, sleeps: (s) => s.includes(1000) },
  { name: 'status poll connection dropped', faults: [{ on: 'status', kind: 'reset', times: 2 }], expect: ok, accepted: 1, poll: true },
  { name: 'status poll never answers once (slow status)', faults: [{ on: 'status', kind: 'hang' }], expect: ok, accepted: 1, poll: true },
  { name: '401 on the status stream mid-wait', faults: [{ on: 'stream', kind: 'status', status: 401 }], expect: failed('AUTH'), accepted: 1 },
  // ---- result
  { name: '503 on the result, then served', faults: [{ on: 'result', kind: 'status', status: 503 }], expect: ok, accepted: 1 },
  { name: 'result connection dropped, then served', faults: [{ on: 'result', kind: 'reset' }], expect: ok, accepted: 1 },
  { name: 'failed result: the job fails (500 with detail)', faults: [{ on: 'job', kind: 'fail', status: 500, detail: 'GPU fell over' }], expect: failed('PROVIDER'), accepted: 1, fast: true },
  { name: 'failed result: the job fails (422 on image_url)', faults: [{ on: 'job', kind: 'fail', status: 422, detail: [{ loc: ['body', 'image_url'], msg: 'Failed to load the image', type: 'image_load_error' }] }], expect: failed('PROVIDER'), accepted: 1 },
  { name: 'malformed result (no images)', faults: [{ on: 'result', kind: 'status', status: 200, body: { images: [], seed: 1 } }], expect: failed('PROVIDER'), accepted: 1 },
  // ---- output download
  { name: '503 on the output download, then served', faults: [{ on: 'file', kind: 'status', status: 503 }], expect: ok, accepted: 1 },
  { name: 'output download connection dropped, then served', faults: [{ on: 'file', kind: 'reset' }], expect: ok, accepted: 1 },
  { name: 'output served as text/html', faults: [{ on: 'file', kind: 'content-type', contentType: 'text/html' }], expect: failed('PROVIDER'), accepted: 1 },
  { name: 'output already gone (404)', faults: [{ on: 'file', kind: 'status', status: 404 }], expect: failed('NOT_FOUND'), accepted: 1 },
  // ---- upload of the parent image
  { name: '503 on upload initiate, then uploaded', faults: [{ on: 'initiate', kind: 'status', status: 503 }], expect: ok, accepted: 1, upload: true },
  { name: 'upload PUT connection dropped, then uploaded', faults: [{ on: 'upload', kind: 'reset' }], expect: ok, accepted: 1, upload: true },
  { name: '500 on every upload initiate', faults: [{ on: 'initiate', kind: 'status', status: 500, times: 10 }], expect: failed('PROVIDER'), accepted: 0, upload: true },
];

/** Error codes a failed turn may carry: every one a typed KontextError. */
export const TYPED_FAILURE_CODES = new Set(['PROVIDER', 'RATE_LIMITED', 'AUTH', 'NETWORK', 'TIMEOUT', 'AMBIGUOUS_SUBMIT', 'NOT_FOUND', 'TOO_LARGE', 'INTEGRITY', 'VALIDATION', 'CANCELLED']);

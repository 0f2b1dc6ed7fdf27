import { describe, expect, it } from 'vitest';
import { backoffDelay, isConnectPhaseError, SUBMIT_RETRY } from '../../../src/providers/fal/retry.js';

describe('backoffDelay', () => {
  it('doubles per retry, with half of each delay left to the injected random source', () => {
    const policy = { baseDelayMs: 1000, maxDelayMs: 60_000 };
    expect([1, 2, 3].map((retry) => backoffDelay(retry, policy, () => 0))).toEqual([500, 1000, 2000]);
    expect([1, 2, 3].map((retry) => backoffDelay(retry, policy, () => 0.999999))).toEqual([1000, 2000, 4000]);
  });

  it('is capped by maxDelayMs', () => {
    expect(backoffDelay(20, { baseDelayMs: 1000, maxDelayMs: 8000 }, () => 0.5)).toBe(6000);
  });

  it('submits back off from 500 ms', () => {
    expect(backoffDelay(1, SUBMIT_RETRY, () => 0.5)).toBe(375);
  });
});

describe('isConnectPhaseError', () => {
  it('is true only for failures before a connection existed', () => {
    expect(isConnectPhaseError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectPhaseError(new TypeError('fetch failed', { cause: Object.assign(new Error('dns'), { code: 'ENOTFOUND' }) }))).toBe(true);
    expect(isConnectPhaseError(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }))).toBe(true);
    expect(isConnectPhaseError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))).toBe(false);
    expect(isConnectPhaseError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isConnectPhaseError(Object.assign(new Error('headers'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe(false);
    expect(isConnectPhaseError(new Error('no code'))).toBe(false);
  });
});

import { readFile } from 'node:fs/promises';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_BY_CODE, exitCodeFor } from '../../src/cli/exitCodes.js';
import { UsageError } from '../../src/cli/UsageError.js';
import { ERROR_CODES, isErrorCode, KontextError, NotFoundError, StoreBusyError, type ErrorCode } from '../../src/errors/index.js';
import { AuthError } from '../../src/errors/AuthError.js';
import { HTTP_STATUS_BY_CODE } from '../../src/server/errors/httpStatus.js';
import { UnauthorizedError } from '../../src/server/errors/UnauthorizedError.js';
import { ErrorJson } from '../../src/server/schemas.js';
import { makeEngine, makeServer } from '../server/support.js';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

/** The rows of README.md's `## Errors` table, by code. */
async function readmeErrorRows(): Promise<Map<string, { meaning: string; http: string; exit: string }>> {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Errors\n'));
  expect(section, 'README.md has a "## Errors" section').toBeDefined();
  const rows = new Map<string, { meaning: string; http: string; exit: string }>();
  for (const line of section!.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const code = /^`([A-Z_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (cells.length !== 4 || code === undefined) continue;
    rows.set(code, { meaning: cells[1]!, http: cells[2]!, exit: cells[3]! });
  }
  return rows;
}

/** An app whose GET /sessions throws `error`, as any route could. */
function throwingApp(error: unknown) {
  const engine = makeEngine();
  engine.listSessions = async () => {
    throw error;
  };
  return makeServer(engine);
}

describe('error codes', () => {
  it('every code has a one-line meaning, an HTTP status and an exit code, and the tables hold no other code', () => {
    expect(CODES.length).toBeGreaterThan(0);
    for (const code of CODES) {
      expect(ERROR_CODES[code], code).toMatch(/^[^\n]{10,}$/);
      expect(HTTP_STATUS_BY_CODE[code], code).toBeGreaterThanOrEqual(400);
      expect([1, 2], code).toContain(EXIT_CODE_BY_CODE[code]);
    }
    expect(Object.keys(HTTP_STATUS_BY_CODE).sort()).toEqual([...CODES].sort());
    expect(Object.keys(EXIT_CODE_BY_CODE).sort()).toEqual([...CODES].sort());
  });

  it("README.md's errors table has one row per code, with the code's meaning, HTTP status and exit code", async () => {
    const rows = await readmeErrorRows();
    expect([...rows.keys()].sort()).toEqual([...CODES].sort());
    for (const code of CODES) {
      const row = rows.get(code)!;
      expect(row.meaning, code).toBe(ERROR_CODES[code]);
      expect(row.http.split(/[ ,]/)[0], code).toBe(String(HTTP_STATUS_BY_CODE[code]));
      expect(row.exit.split(' ')[0], code).toBe(String(EXIT_CODE_BY_CODE[code]));
    }
  });

  it('isErrorCode accepts the listed codes only', () => {
    for (const code of CODES) expect(isErrorCode(code)).toBe(true);
    for (const other of ['', 'busy', 'ENOENT', 'toString', '__proto__', 42, undefined]) expect(isErrorCode(other)).toBe(false);
  });

  it('the new codes: BUSY is a StoreBusyError, NOT_FINISHED_AT_EXPORT a plain code', () => {
    const busy = new StoreBusyError({ cause: new Error('SQLITE_BUSY') });
    expect(busy).toBeInstanceOf(KontextError);
    expect(busy.toJSON()).toMatchObject({ code: 'BUSY' });
    expect(busy.cause).toBeInstanceOf(Error);
    expect(HTTP_STATUS_BY_CODE.BUSY).toBe(429);
    expect(HTTP_STATUS_BY_CODE.NOT_FINISHED_AT_EXPORT).toBe(409);
    expect(exitCodeFor(busy)).toBe(1);
    expect(exitCodeFor(new KontextError('NOT_FINISHED_AT_EXPORT', 'still running at export'))).toBe(1);
  });
});

describe('HTTP status of an error', () => {
  it('a thrown error of each code answers its table status with that code in the body', async () => {
    for (const code of CODES) {
      const { app } = throwingApp(code === 'AUTH' ? new UnauthorizedError() : new KontextError(code, `a ${code} error`));
      const res = await app.request('/sessions');
      expect(res.status, code).toBe(HTTP_STATUS_BY_CODE[code]);
      expect(ErrorJson.parse(await res.json()).error.code, code).toBe(code);
    }
  });

  it('a busy database is a 429 with Retry-After: 1, never a 5xx', async () => {
    const { app } = throwingApp(new StoreBusyError());
    const res = await app.request('/sessions');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(ErrorJson.parse(await res.json()).error).toMatchObject({ code: 'BUSY', message: expect.stringContaining('locked by another process') });
  });

  it('the provider refusing our key is a 502, the client lacking a token a 401', async () => {
    expect((await throwingApp(new AuthError('fal refused the key', 401)).app.request('/sessions')).status).toBe(502);
    expect((await throwingApp(new UnauthorizedError()).app.request('/sessions')).status).toBe(401);
  });

  it('a thrown non-Kontext error, or one whose code is not listed, is INTERNAL 500 with its text kept out of the body', async () => {
    const foreign = Object.assign(new Error('/secret/path: disk on fire'), { code: 'EDISKFIRE', details: { path: '/secret/path' } });
    for (const thrown of [new Error('/secret/path: boom'), foreign]) {
      const { app, logs } = throwingApp(thrown);
      const res = await app.request('/sessions');
      expect(res.status).toBe(500);
      const body = ErrorJson.parse(await res.json());
      expect(body.error).toEqual({ code: 'INTERNAL', message: 'internal server error; see the server log', details: {} });
      expect(JSON.stringify(body)).not.toContain('/secret/path');
      expect(logs.length).toBeGreaterThan(0);
    }
  });
});

describe('CLI exit code of an error', () => {
  it('follows the table for each code', () => {
    for (const code of CODES) expect(exitCodeFor(new KontextError(code, code)), code).toBe(EXIT_CODE_BY_CODE[code]);
  });

  it('a turn, branch or session the user named that does not exist is a usage error; other missing things are failures', () => {
    for (const kind of ['turn', 'branch', 'session']) expect(exitCodeFor(new NotFoundError(kind, 'abcd')), kind).toBe(2);
    for (const kind of ['image', 'bundle', 'blob']) expect(exitCodeFor(new NotFoundError(kind, 'abcd')), kind).toBe(1);
  });

  it('usage and commander errors exit 2, anything unknown exits 1', () => {
    expect(exitCodeFor(new UsageError('no session selected'))).toBe(2);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'unknown option'))).toBe(2);
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', 'help'))).toBe(0);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    expect(exitCodeFor(Object.assign(new Error('x'), { code: 'EDISKFIRE', details: {} }))).toBe(1);
  });
});

import { MemoryBlobStore } from '../../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../../src/engine/SessionEngine.js';
import type { Turn } from '../../../src/model/index.js';
import { FAL_KONTEXT_PRO } from '../../../src/kontext/endpoints.js';
import { createFalProvider } from '../../../src/providers/fal/index.js';
import { SessionStore } from '../../../src/store/SessionStore.js';
import { closedPort } from '../../support/falFixtures.js';
import { RecordingClock } from '../../support/falTestClock.js';
import { startFalTestServer } from '../../support/falTestServer.js';
import { testImage } from '../../support/images.js';
import { TYPED_FAILURE_CODES, type FaultCase } from './faultCases.js';

export interface FaultOutcome {
  turn: Turn;
  /** Submit requests that reached the server, and jobs it accepted (what fal would bill). */
  submitRequests: number;
  accepted: number;
  sleeps: number[];
  /** Every promise the case broke, as sentences (empty when it held). */
  violations: string[];
}

/**
 * Runs one fault case: a fresh test server with the case's faults, an engine on it (a
 * recording clock, so backoff and Retry-After cost no real time and can be checked), one
 * session and one edit. Then checks the turn's outcome, that nothing stays in flight,
 * that the reason is typed and recorded, and the server's submission log.
 */
export async function runFaultCase(testCase: FaultCase): Promise<FaultOutcome> {
  const server = await startFalTestServer({ queueMs: 0, inProgressMs: 40, logIntervalMs: 10 });
  const clock = new RecordingClock();
  const queueUrl = testCase.refused ? `http://127.0.0.1:${await closedPort()}/queue` : server.queueUrl;
  const provider = createFalProvider({
    ...server.clientOptions(),
    queueUrl,
    clock,
    random: () => 0.5,
    responseTimeoutMs: 500,
    pollIntervalMs: 10,
    statusMode: testCase.poll ? 'poll' : 'stream',
    inlineMaxBytes: testCase.upload ? 0 : undefined,
  });
  const store = SessionStore.inMemory();
  const engine = new SessionEngine({ store, blobs: new MemoryBlobStore(), providers: [provider], defaultEndpoint: FAL_KONTEXT_PRO });
  const violations: string[] = [];
  try {
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    server.faults.push(...testCase.faults);
    const prompt = `fault case: ${testCase.name}`;
    const turn = await engine.edit(session.id, prompt, { seed: 7 }, { memo: 'never' });
    // A second look after resume: a failed or ambiguous turn must not be sent again.
    await engine.resume();
    const final = await engine.getTurn(turn.id);

    const expected = testCase.expect;
    if (final.status !== expected.status) violations.push(`ended ${final.status} (${final.errorCode}: ${final.errorMessage}), expected ${expected.status}`);
    if (expected.status === 'failed' && final.errorCode !== expected.code) violations.push(`failed with ${final.errorCode}, expected ${expected.code}: ${final.errorMessage}`);
    if (final.status === 'failed') {
      if (!TYPED_FAILURE_CODES.has(final.errorCode ?? '')) violations.push(`failure code ${final.errorCode} is not a typed error code`);
      if (!final.errorMessage || final.errorMessage.length < 10) violations.push(`failure has no useful message: ${JSON.stringify(final.errorMessage)}`);
      if (final.finishedAt === null) violations.push('failed turn has no finishedAt');
    }
    if (final.status === 'succeeded' && final.outputs.length === 0) violations.push('succeeded without outputs');
    const inFlight = await store.inFlightTurns();
    if (inFlight.length > 0) violations.push(`turns still in flight: ${inFlight.map((t) => `${t.id} ${t.status}`).join(', ')}`);
    if (engine.runner.activeTurns > 0) violations.push(`${engine.runner.activeTurns} turn(s) still running in the engine`);
    const head = (await store.getSession(session.id)).headTurnId;
    if (final.status === 'failed' && head === final.id) violations.push('HEAD was left on the failed turn');

    const accepted = server.submissions.filter((s) => (s.body as { prompt?: unknown }).prompt === prompt);
    if (accepted.length > 1) violations.push(`accepted ${accepted.length} times: paid twice`);
    if (accepted.length !== testCase.accepted) violations.push(`the server accepted ${accepted.length} job(s) for the turn, expected ${testCase.accepted}`);
    if (final.requestId !== null && !accepted.some((s) => s.requestId === final.requestId)) violations.push(`turn records request ${final.requestId}, which the server never accepted`);
    if (testCase.sleeps && !testCase.sleeps(clock.sleeps)) violations.push(`the client's waits ${JSON.stringify(clock.sleeps)} do not honour Retry-After`);
    return { turn: final, submitRequests: server.requestsTo('submit').length, accepted: accepted.length, sleeps: clock.sleeps, violations };
  } finally {
    await engine.close();
    await provider.close();
    store.close();
    await server.close();
  }
}

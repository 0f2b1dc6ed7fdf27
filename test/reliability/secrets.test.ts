import { describe, it } from 'vitest';
import { expectKeyNowhere } from './support/expectKeyNowhere.js';
import { SECRET_KEY } from './support/secretsScenario.js';

/**
 * The fal key never leaves the process: not into the database or its WAL, the archive, an
 * export, an engine event, an error (message, JSON, inspect, causes), an HTTP answer, the
 * server log, or the output of `kontext` — even when servers echo it back in error bodies.
 * (Fast subset: three CLI runs; secrets.full.ts runs thirteen.)
 */
describe(`the fal key (${SECRET_KEY.slice(0, 10)}…)`, () => {
  it('occurs nowhere after a session full of failures', async () => {
    await expectKeyNowhere('few');
  }, 180_000);
});

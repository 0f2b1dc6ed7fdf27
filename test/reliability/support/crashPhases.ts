/**
 * Where a crash run kills the engine process. Each stalling phase is a point in a turn's
 * life at which the child announces itself and then holds still (so the SIGKILL lands
 * exactly there); `random` kills after a random delay without any stall.
 *
 * - `created`:     the turn is written (pending), nothing sent yet
 * - `submitting`:  `submitAttemptedAt` is written, the submit request not yet sent
 * - `accepted`:    fal accepted the job, its request id not yet stored
 * - `submitted`:   the request id is stored
 * - `running`:     fal reports the job in progress
 * - `downloading`: the job is done, its output not yet archived
 * - `archived`:    the output's blob is on disk, the turn not yet marked succeeded
 */
export const STALL_PHASES = ['created', 'submitting', 'accepted', 'submitted', 'running', 'downloading', 'archived'] as const;
export type StallPhase = (typeof STALL_PHASES)[number];
export type CrashPhase = StallPhase | 'random';
export const CRASH_PHASES: readonly CrashPhase[] = [...STALL_PHASES, 'random'];

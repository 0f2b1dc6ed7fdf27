// How the page words numbers and turn states. Pure functions, no DOM.

/**
 * Micro-dollars as a price a person reads: dollars with cents ("$0.04", "$1.20"). A cost
 * under a cent that is not zero shows as "<$0.01", so a paid turn never reads as free.
 */
export function dollars(micros) {
  if (micros > 0 && micros < 10_000) return '<$0.01';
  return `$${(Math.round(micros / 10_000) / 100).toFixed(2)}`;
}

const UNFINISHED = new Set(['pending', 'submitted', 'running']);

export const isUnfinished = (turn) => UNFINISHED.has(turn.status);
export const endedBadly = (turn) => turn.status === 'failed' || turn.status === 'cancelled';

/**
 * What a turn is doing, in the words the page shows: the turn's status, refined by what the
 * events said (a queue position, waiting for the parent) and by the error code of a turn that
 * failed (the provider's moderation and an expired job are not the same as a fault).
 *
 * @returns {{ state: string, label: string }}
 */
export function describeState(turn, progress) {
  if (turn.status === 'running') return { state: 'running', label: 'Running…' };
  if (turn.status === 'pending' || turn.status === 'submitted') {
    if (progress?.waitingFor) return { state: 'queued', label: 'Waiting for the turn before it to finish…' };
    // The engine's own line counts places from 1; a provider (as fal does) counts the jobs
    // ahead, from 0. Either way a person reads "position 1" as "next".
    if (progress?.queued !== undefined) {
      if (progress.queuedLocally) return { state: 'queued', label: `Queued — position ${progress.queued} in line here` };
      return { state: 'queued', label: `Queued — position ${progress.queued + 1} in the provider’s queue` };
    }
    return { state: 'queued', label: turn.status === 'pending' ? 'Queued…' : 'Sent, waiting for the provider…' };
  }
  if (turn.status === 'cancelled') return { state: 'cancelled', label: 'Cancelled' };
  if (turn.status === 'failed') {
    const code = turn.error?.code;
    if (code === 'MODERATED') return { state: 'moderated', label: 'Moderated: the provider refused this on content grounds. Rewording the prompt may help.' };
    if (code === 'EXPIRED') return { state: 'expired', label: 'Expired: the provider no longer has this job, so its result is gone.' };
    return { state: 'failed', label: 'Failed' };
  }
  return { state: turn.status, label: '' };
}

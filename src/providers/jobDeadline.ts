/**
 * One signal for a job's wait: it aborts when the caller's `signal` does, or when the job has run
 * for `timeoutMs`. `clear()` lets go of the timer and the caller's signal once the wait is over.
 */
export function jobDeadline(signal: AbortSignal | undefined, timeoutMs: number): { signal: AbortSignal; clear(): void } {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new DOMException(`the job took longer than ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  timer.unref();
  const onAbort = () => stop.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: stop.signal,
    clear: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

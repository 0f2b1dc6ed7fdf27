import { ProviderError } from '../../src/errors/ProviderError.js';
import type { Provider } from '../../src/providers/Provider.js';

/**
 * Wraps a real provider so a test decides when, and how, each job ends: a job whose prompt
 * names a gate (`hold('slow')`) waits for `release('slow')`; a prompt starting with `fail`
 * ends in a ProviderError (after its gate, if it has one). Submits are counted.
 */
export function gatedProvider(inner: Provider) {
  const gates = new Map<string, { promise: Promise<void>; open: () => void }>();
  const prompts = new Map<string, string>();
  const submitted: string[] = [];
  const gate = (name: string) => {
    let entry = gates.get(name);
    if (!entry) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      entry = { promise, open };
      gates.set(name, entry);
    }
    return entry;
  };
  const provider: Provider = {
    name: inner.name,
    prepareImage: (image, options) => inner.prepareImage(image, options),
    submit: async (endpointId, input, options) => {
      const job = await inner.submit(endpointId, input, options);
      const prompt = String(input.prompt ?? '');
      submitted.push(prompt);
      prompts.set(job.requestId, prompt);
      return job;
    },
    wait: async (endpointId, job, options) => {
      const prompt = prompts.get(job.requestId) ?? '';
      for (const [name, entry] of gates) if (prompt.includes(`[${name}]`)) await entry.promise;
      if (prompt.startsWith('fail')) throw new ProviderError(`the test provider failed '${prompt}' on purpose`, { requestId: job.requestId });
      return inner.wait(endpointId, job, options);
    },
    cancel: (endpointId, job, options) => inner.cancel(endpointId, job, options),
    download: (url, options) => inner.download(url, options),
    close: () => inner.close?.() ?? Promise.resolve(),
  };
  return {
    provider,
    /** Prompts as submitted, in order: one entry per provider call (what would be paid for). */
    submitted,
    /** Jobs whose prompt contains `[name]` wait until `release(name)`. */
    hold: (name: string) => void gate(name),
    release: (name: string) => gate(name).open(),
  };
}

import type { Provider } from '../../src/providers/Provider.js';

/** Wraps a real provider and records every submit it receives (endpoint and input as sent). */
export function countingProvider(inner: Provider): Provider & { submissions: { endpointId: string; input: Record<string, unknown> }[] } {
  const submissions: { endpointId: string; input: Record<string, unknown> }[] = [];
  return {
    name: inner.name,
    submissions,
    prepareImage: (image, options) => inner.prepareImage(image, options),
    submit: async (endpointId, input, options) => {
      submissions.push({ endpointId, input });
      return inner.submit(endpointId, input, options);
    },
    wait: (endpointId, job, options) => inner.wait(endpointId, job, options),
    cancel: (endpointId, job, options) => inner.cancel(endpointId, job, options),
    download: (url, options) => inner.download(url, options),
    close: () => inner.close?.() ?? Promise.resolve(),
  };
}

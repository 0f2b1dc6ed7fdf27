import type { Provider } from '../../src/providers/Provider.js';

/** The bytes behind an output URL of the local provider. */
export async function localImageBytes(provider: Provider, url: string): Promise<Buffer> {
  const { body } = await provider.download(url);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

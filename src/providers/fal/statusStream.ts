import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ProviderError } from '../../errors/ProviderError.js';
import { describeIssues } from '../../kontext/validation.js';
import { FalStatus } from './protocol.js';

/**
 * Turns the body of fal's status stream (`<status_url>/stream`, server-sent events whose
 * `data` is a status object) into statuses, in order. Ends when the server ends the
 * stream; the caller decides whether the last status was final.
 */
export async function* readStatusStream(body: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<FalStatus> {
  const decoder = new TextDecoder();
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield parseStatusEvent(pending.shift()!, what);
  }
}

function parseStatusEvent(event: EventSourceMessage, what: string): FalStatus {
  if (event.event === 'error') throw new ProviderError(`${what}: the status stream reported an error`, { detail: event.data.slice(0, 500) });
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch (error) {
    throw new ProviderError(`${what}: a status event is not JSON`, { detail: event.data.slice(0, 200), cause: error });
  }
  return parseStatus(data, what);
}

/** Validates a status object from the stream or from polling. */
export function parseStatus(data: unknown, what: string): FalStatus {
  const result = FalStatus.safeParse(data);
  if (!result.success) throw new ProviderError(`${what}: fal sent a malformed status`, { detail: describeIssues(result.error.issues, data) });
  return result.data;
}

import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isKontextError } from '../errors/KontextError.js';

/**
 * A failed tool call as MCP says it (a result with `isError`, which the model reads and can
 * act on, not a protocol error): `CODE: message`, the message the CLI prints and the HTTP API
 * sends, and `{ error: { code, message, details } }` as structured content, the HTTP error
 * body. An unexpected error's own text may hold paths or SQL: it is logged, never sent.
 */
export function toolError(error: unknown, log: (line: string) => void): CallToolResult {
  if (isKontextError(error)) return errorResult(error.code, error.message, error.details ?? {});
  log(`unexpected error in a tool call: ${(error as Error)?.stack ?? String(error)}`);
  return errorResult('INTERNAL', 'internal error in the MCP server; see its log');
}

function errorResult(code: string, message: string, details: Record<string, unknown> = {}): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${code}: ${message}` }], structuredContent: { error: { code, message, details } } };
}

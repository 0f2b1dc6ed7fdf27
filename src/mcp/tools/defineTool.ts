import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { McpContext } from '../context.js';
import type { ToolExtra } from '../progress.js';
import { toolError } from '../toolError.js';
import { parseArguments, toolInput } from '../toolInput.js';

/**
 * What a tool does to the world, which its annotations say:
 * - `read`: reads only;
 * - `write`: changes the session tree, without any provider call (HEAD, branches, picks, exact copies);
 * - `spend`: may run turns on the provider, which costs money.
 */
export type ToolEffect = 'read' | 'write' | 'spend';

/** Tool `_meta` key set on tools that may spend money: MCP's hints have no word for it. */
export const SPENDS_MONEY = 'kontext-sessions/spendsMoney';

export interface ToolSpec<S extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  args: S;
  effect: ToolEffect;
  /** Calling it twice with the same arguments changes nothing more (checkout, pick). Default false. */
  idempotent?: boolean;
  run: (args: z.output<S>, extra: ToolExtra) => Promise<CallToolResult>;
}

function annotationsOf(spec: ToolSpec<z.ZodType>): ToolAnnotations {
  if (spec.effect === 'read') return { title: spec.title, readOnlyHint: true, openWorldHint: false };
  if (spec.effect === 'write') return { title: spec.title, readOnlyHint: false, destructiveHint: false, idempotentHint: spec.idempotent ?? false, openWorldHint: false };
  // Nothing in the tree is overwritten, but money spent is not given back: clients that ask
  // before a destructive call should ask before these.
  return { title: spec.title, readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };
}

/**
 * Registers a tool with the conventions every tool here shares: arguments validated with the
 * API's zod schema (our messages, see toolInput.ts), errors as `isError` results with the
 * stable code, annotations from its effect, and everything sent scrubbed by `ctx.redact`.
 */
export function defineTool<S extends z.ZodType>(server: McpServer, ctx: McpContext, spec: ToolSpec<S>): void {
  server.registerTool(
    spec.name,
    {
      title: spec.title,
      description: spec.description,
      inputSchema: toolInput(spec.args),
      annotations: annotationsOf(spec as unknown as ToolSpec<z.ZodType>),
      ...(spec.effect === 'spend' ? { _meta: { [SPENDS_MONEY]: true } } : {}),
    },
    async (raw: unknown, extra: ToolExtra) => {
      try {
        return ctx.redact(await spec.run(parseArguments(spec.args, raw), extra));
      } catch (error) {
        return ctx.redact(toolError(error, ctx.log));
      }
    },
  );
}

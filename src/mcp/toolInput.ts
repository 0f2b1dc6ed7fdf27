import { z } from 'zod';
import { parseOrThrow } from '../kontext/validation.js';

/** A JSON Schema object, as tools/list advertises it. */
type JsonSchema = Record<string, unknown>;

/**
 * What a tool registers with McpServer for its arguments: the JSON Schema of `schema` (so
 * tools/list shows the real fields, limits and descriptions), on a gate that lets any object
 * through to the handler, which validates with `schema` itself (see {@link parseArguments}).
 *
 * Why not hand McpServer `schema` directly: it would refuse bad arguments with zod's own
 * wording ("Too small: expected string to have >=1 characters at prompt"), where the CLI and
 * the HTTP API say `VALIDATION: arguments: prompt: must not be empty`. One set of messages,
 * and one code to switch on, across the three surfaces.
 *
 * @example
 * server.registerTool('edit', { inputSchema: toolInput(EditArguments) }, async (args) => {
 *   const { sessionId, prompt } = parseArguments(EditArguments, args);
 * });
 */
export function toolInput(schema: z.ZodType): z.ZodObject {
  const { $schema: _dialect, ...described } = inlineRefs(z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema);
  // zod merges a schema's metadata over the JSON Schema it generates: this object is listed
  // as `described`, and parses like `{}` with any keys kept.
  return z.object({}).loose().meta(described);
}

/**
 * Replaces `$ref`s into `$defs`/`definitions` by what they point at. The server's schemas carry
 * OpenAPI ids (`KontextParams`), which zod turns into references; several MCP clients read
 * only self-contained schemas, and none of ours is recursive.
 */
function inlineRefs(root: JsonSchema): JsonSchema {
  const defs = { ...((root.$defs as Record<string, JsonSchema> | undefined) ?? {}), ...((root.definitions as Record<string, JsonSchema> | undefined) ?? {}) };
  const resolve = (node: unknown, depth: number): unknown => {
    if (depth > 32) throw new Error('toolInput: schema nests too deep (a recursive $ref?)');
    if (Array.isArray(node)) return node.map((item) => resolve(item, depth + 1));
    if (node === null || typeof node !== 'object') return node;
    const { $ref, ...rest } = node as JsonSchema;
    const name = typeof $ref === 'string' ? /^#\/(?:\$defs|definitions)\/(.+)$/.exec($ref)?.[1] : undefined;
    const target = name === undefined ? undefined : defs[name];
    const merged = target ? { ...target, ...rest } : (node as JsonSchema);
    const out: JsonSchema = {};
    for (const [key, value] of Object.entries(merged)) if (key !== '$defs' && key !== 'definitions') out[key] = resolve(value, depth + 1);
    // draft-7 puts a described `$ref` in an `allOf` of one: with the ref inlined, that is just the schema.
    const { allOf, ...own } = out;
    if (Array.isArray(allOf) && allOf.length === 1 && typeof allOf[0] === 'object') return { ...(allOf[0] as JsonSchema), ...own };
    return out;
  };
  return resolve(root, 0) as JsonSchema;
}

/** A tool's arguments checked with `schema`: the ValidationError `parseOrThrow` gives the CLI and the HTTP API, in context `arguments`. */
export function parseArguments<S extends z.ZodType>(schema: S, args: unknown): z.output<S> {
  return parseOrThrow(schema, args, 'arguments');
}

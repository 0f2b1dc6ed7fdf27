import type { Context } from 'hono';
import type { z } from 'zod';
import { NotFoundError } from '../errors/NotFoundError.js';
import { ValidationError } from '../errors/ValidationError.js';
import { parseOrThrow } from '../kontext/validation.js';
import { MalformedRequestError } from './errors/MalformedRequestError.js';

/** What a malformed path parameter would have named: a malformed id names nothing, so it is a 404. */
const KIND_BY_PARAM: Readonly<Record<string, string>> = { sessionId: 'session', turn: 'turn', name: 'branch', hash: 'image' };

/** Path parameters, checked with `schema`; anything that fails is a 404 of what it would have named. */
export function pathParams<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const raw = c.req.param() as Record<string, string>;
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const field = String(result.error.issues[0]?.path[0] ?? 'id');
  throw new NotFoundError(KIND_BY_PARAM[field] ?? field, String(raw[field] ?? ''));
}

/** The query string, checked with `schema` (strict: an unknown parameter is refused, not ignored). */
export function query<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const all = c.req.queries();
  const flat: Record<string, string> = {};
  for (const [key, values] of Object.entries(all)) {
    if (values.length > 1) throw new ValidationError([{ field: key, message: `is given ${values.length} times; give it once` }], 'query');
    flat[key] = values[0]!;
  }
  return parseOrThrow(schema, flat, 'query');
}

export function isJsonType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * The JSON body, checked with `schema`. An empty body counts as `{}` when `optional` (for
 * actions like undo that take nothing). Anything else must be `Content-Type: application/json`:
 * besides being honest, that makes a browser preflight a cross-site request.
 */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S, options: { optional?: boolean } = {}): Promise<z.output<S>> {
  const text = await c.req.text();
  if (text.length === 0) {
    if (options.optional) return parseOrThrow(schema, {}, 'body');
    throw new MalformedRequestError('the request needs a JSON body');
  }
  if (!isJsonType(c.req.header('content-type'))) {
    throw new MalformedRequestError(`expected Content-Type: application/json, got '${c.req.header('content-type') ?? 'none'}'`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MalformedRequestError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  return parseOrThrow(schema, value, 'body');
}


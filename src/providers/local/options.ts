import { nanoid } from 'nanoid';
import { ValidationError, type ValidationIssue } from '../../errors/ValidationError.js';
import { EndpointRegistry } from '../../kontext/endpoints.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { defaultFetch, type FetchLike } from './readImage.js';
import { DEFAULT_MAX_SIDE } from './size.js';

/** Options of `createLocalProvider`. Every one has a default. */
export interface LocalProviderOptions {
  /** Measures `timings` and runs the artificial delay. Default: the system clock. */
  clock?: Clock;
  /** Source in [0, 1) of the seed for requests that give none. Default: `Math.random`. */
  random?: () => number;
  /** Artificial time each job spends "running", so that cancelling can be tried. Default 0 ms. */
  delayMs?: number;
  /** Jobs rendered at once; later ones wait in line and report their position. Default 1. */
  concurrency?: number;
  /** Longest side of an output image. Default 1024. */
  maxSide?: number;
  /**
   * Snap every edit's output to the endpoint's preferred resolution nearest the requested
   * aspect ratio (or the input's shape), as FLUX.1 Kontext does; `maxSide` then does not apply.
   * Default false: outputs keep the input's shape.
   */
  snapToPreferred?: boolean;
  /** Largest input image, in bytes (data URI or fetched URL). Default 50 MiB. */
  maxInputBytes?: number;
  /** Largest input image, in pixels: bigger ones are refused before decoding. Default 50 megapixels. */
  maxInputPixels?: number;
  /** Memory for the images behind `local://` URLs; the least recently used go first. Default 256 MiB. */
  maxStoredBytes?: number;
  /** Deadline for fetching an http(s) `image_url`. Default 30 000 ms. */
  fetchTimeoutMs?: number;
  /** Reads http(s) image URLs. Default: undici's `fetch`. */
  fetch?: FetchLike;
  /** Endpoint schemas. Default: the built-in endpoints (`local/kontext-sim`, `local/kontext-sim/text-to-image`). */
  endpoints?: EndpointRegistry;
  /** New request ids. Default: `nanoid()`. */
  newId?: () => string;
}

export interface ResolvedLocalOptions {
  clock: Clock;
  random: () => number;
  delayMs: number;
  concurrency: number;
  maxSide: number;
  snapToPreferred: boolean;
  maxInputBytes: number;
  maxInputPixels: number;
  maxStoredBytes: number;
  fetchTimeoutMs: number;
  fetch: FetchLike;
  endpoints: EndpointRegistry;
  newId: () => string;
}

/** Options with every default applied, once, outside the per-request path. */
export function resolveOptions(options: LocalProviderOptions): ResolvedLocalOptions {
  const issues: ValidationIssue[] = [];
  const number = (field: keyof LocalProviderOptions, fallback: number, { min = 0, integer = false } = {}) => {
    const value = options[field] as number | undefined;
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      issues.push({ field, message: `${value} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}` });
    }
    return value;
  };
  const resolved: ResolvedLocalOptions = {
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    delayMs: number('delayMs', 0),
    concurrency: number('concurrency', 1, { min: 1, integer: true }),
    maxSide: number('maxSide', DEFAULT_MAX_SIDE, { min: 16, integer: true }),
    snapToPreferred: options.snapToPreferred ?? false,
    maxInputBytes: number('maxInputBytes', 50 * 1024 * 1024, { min: 1 }),
    maxInputPixels: number('maxInputPixels', 50_000_000, { min: 1, integer: true }),
    maxStoredBytes: number('maxStoredBytes', 256 * 1024 * 1024),
    fetchTimeoutMs: number('fetchTimeoutMs', 30_000, { min: 1 }),
    fetch: options.fetch ?? defaultFetch,
    endpoints: options.endpoints ?? new EndpointRegistry(),
    newId: options.newId ?? (() => nanoid()),
  };
  if (issues.length > 0) throw new ValidationError(issues, 'local provider options');
  return resolved;
}

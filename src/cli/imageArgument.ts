import type { ImageInput } from '../engine/images.js';
import { UsageError } from './UsageError.js';

/**
 * The `<image>` a user typed, as the engine's tagged input: an http(s) URL, a data URI, or
 * else a file path. Only the CLI guesses from a bare string: its user is the machine's owner,
 * so reading a path they typed shows them nothing they could not read already.
 *
 * @example
 * imageArgument('photo.png') // { path: 'photo.png' }
 * imageArgument('https://example.com/a.png') // { url: 'https://example.com/a.png' }
 */
export function imageArgument(argument: string, name = '<image>'): ImageInput {
  if (/^https?:\/\//i.test(argument)) return { url: argument };
  if (/^data:/i.test(argument)) return { dataUri: argument };
  // Any other scheme (file:, ftp:, gopher:) is refused rather than read as an odd file name.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(argument);
  if (scheme) throw new UsageError(`${name}: '${scheme[1]!.toLowerCase()}:' URLs are not supported; give a file path, an http(s) URL or a data URI`);
  return { path: argument };
}

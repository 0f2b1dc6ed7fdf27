import { z } from 'zod';
import { CheckoutBody, CreateBranchBody, EditBody, Id, PickBody, Prompt, ReplayBody, SessionSettings, TurnRef, WhatIfBody } from '../server/schemas.js';

/**
 * The arguments of the MCP tools: the HTTP API's request schemas (src/server/schemas.ts, which
 * wrap the library's own) with the session id, that HTTP carries in the path, as a field. A
 * tool refuses exactly what the matching route and `engine` call refuse, in the same words.
 */

const SessionId = Id.meta({ description: 'The session: its id, as start_session or list_sessions gave it.' });

/**
 * A picture to start from. Over MCP there is no file path: a server must not read its own
 * disk for whoever holds a token, and a stdio client that has the file can send its bytes.
 */
export const ImageArgument = z
  .object({
    url: z.string().min(1).max(8192).optional().meta({ description: 'An http(s) URL of the picture; downloaded through the SSRF guard (public addresses only).' }),
    bytes: z.base64().optional().meta({ description: 'The picture itself, base64-encoded: PNG, JPEG, WebP, GIF or AVIF.' }),
    dataUri: z.string().min(1).optional().meta({ description: 'The picture as a data URI, e.g. data:image/png;base64,…' }),
  })
  .strict()
  .refine((i) => [i.url, i.bytes, i.dataUri].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of url, bytes or dataUri' })
  .meta({ description: 'The picture to start from: exactly one of url, bytes or dataUri.' });

export const StartSessionArguments = z
  .object({
    image: ImageArgument.optional(),
    prompt: Prompt.optional().meta({ description: 'Or: make the first picture from this prompt (text-to-image, a paid provider call).' }),
    ...SessionSettings.shape,
  })
  .strict()
  .refine((a) => (a.image === undefined) !== (a.prompt === undefined), { message: 'give exactly one of image or prompt', path: ['image'] });

export const SessionArguments = z.object({ sessionId: SessionId }).strict();

export const EditArguments = z.object({ sessionId: SessionId, ...EditBody.shape }).strict();

export const TurnArguments = z
  .object({ sessionId: SessionId, turn: TurnRef.meta({ description: 'The turn: its id or a unique prefix (at least 4 characters), a branch name, HEAD or HEAD~N.' }) })
  .strict();

export const PickArguments = TurnArguments.extend(PickBody.shape).strict();

export const CheckoutArguments = z.object({ sessionId: SessionId, ...CheckoutBody.shape }).strict();

export const BranchArguments = z.object({ sessionId: SessionId, ...CreateBranchBody.shape }).strict();

const { mode: _mode, ...replayShape } = ReplayBody.shape;
/** Replay's `mode` is two tools (`replay`, `replay_fresh`): one spends money and one does not, and annotations are per tool. */
export const ReplayArguments = z.object({ sessionId: SessionId, ...replayShape }).strict();

const { dryRun: _dryRun, ...whatIfShape } = WhatIfBody.shape;
/** What-if's `dryRun` is two tools (`what_if_plan`, `what_if`), for the same reason as replay's mode. */
export const WhatIfArguments = z.object({ sessionId: SessionId, ...whatIfShape }).strict();

export const NoArguments = z.object({}).strict();

import { z } from 'zod';
import 'zod-openapi';
import { ForkOptionsSchema } from '../engine/fork.js';
import { KontextEditInput, KontextParamsOverrides as LibraryParamsOverrides } from '../kontext/schemas.js';
import { Hash, Id } from '../present/schemas.js';
import { QualitySettingsSchema } from '../quality/settings.js';

// The answers' schemas are the presenter's, shared with the CLI's --json and MCP.
export * from '../present/schemas.js';

/**
 * The HTTP contract. Request schemas wrap the library's own (`KontextParamsOverrides`, the
 * prompt rule), so a body is refused for exactly the reasons `engine.edit` would refuse it,
 * and the OpenAPI document is generated from these same objects.
 */

// ---------------------------------------------------------------- building blocks

/** What `engine.resolveTurn` accepts: an id, a unique prefix (≥ 4), a branch name, `HEAD`, with an optional `~N`. */
export const TurnRef = z
  .string()
  // Ids are nanoids, which may begin with `-` or `_`; only `.` (so `..`) and `/` may not come first.
  .regex(/^[A-Za-z0-9@_-][A-Za-z0-9._\/-]{0,127}(~\d{1,4})?$/)
  .meta({ description: 'A turn: its id, a unique id prefix (at least 4 characters), a branch name or HEAD, optionally followed by ~N (N parents up).', example: 'HEAD~1' });
export const BranchName = z.string().min(1).max(100).meta({ description: "A branch name: letters, digits, '.', '_', '-', '/'.", example: 'winter' });
export const EndpointId = z.string().min(1).max(200).meta({ description: 'Endpoint id, e.g. fal-ai/flux-pro/kontext or local/kontext-sim.' });
export const Prompt = KontextEditInput.shape.prompt;
export const Micros = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ description: 'Micro-dollars ($1 = 1 000 000).' });
export const KontextParamsOverrides = LibraryParamsOverrides.meta({ id: 'KontextParams', description: 'Request parameters; any left out come from the session defaults.' });
const Title = z.string().max(200);

// ---------------------------------------------------------------- path and query

export const SessionPath = z.object({ sessionId: Id });
export const TurnPath = z.object({ sessionId: Id, turn: TurnRef });
export const BranchPath = z.object({ sessionId: Id, name: BranchName });
export const ImagePath = z.object({ hash: Hash });

export const NoQuery = z.object({}).strict();
export const EditQuery = z
  .object({ wait: z.enum(['true', 'false']).optional().meta({ description: 'true: answer when the turn has finished (201) instead of at once (202).' }) })
  .strict();
export const DeleteTurnQuery = z
  .object({ branches: z.enum(['true', 'false']).optional().meta({ description: "true: delete the branches pointing into the subtree; default: move them to its parent." }) })
  .strict();
export const EventsQuery = z
  .object({
    after: z.string().max(80).optional().meta({ description: 'Replay events after this id (what Last-Event-ID carries); the header wins when both are given.' }),
    turn: TurnRef.optional().meta({ description: 'Only events of this turn.' }),
  })
  .strict();
/** Metadata of a raw-body upload (`Content-Type: image/*`), as query parameters. `params` is JSON text. */
export const UploadQuery = z
  .object({
    title: Title.optional(),
    endpoint: EndpointId.optional(),
    params: z.string().max(10_000).optional().meta({ description: 'Session default params as JSON text.' }),
    budgetMicros: z.string().regex(/^\d{1,15}$/).optional(),
  })
  .strict();

// ---------------------------------------------------------------- bodies

const SessionSettingsShape = {
  title: Title.optional(),
  endpoint: EndpointId.optional().meta({ description: 'Edit endpoint every turn uses unless it overrides it.' }),
  params: KontextParamsOverrides.optional(),
  budgetMicros: Micros.nullable().optional().meta({ description: 'Spending cap; a turn that would pass it is refused before it is sent.' }),
  quality: QualitySettingsSchema.optional().meta({ description: 'Edit-quality settings: pinAspect, resizeToSource, preserveRegions, warnSsimBelow, warnDeltaEAbove.' }),
};

/** Settings of a new session given next to an uploaded image (multipart fields or query). */
export const SessionSettings = z.object(SessionSettingsShape).strict();

export const CreateSessionBody = z
  .object({
    image_url: z.string().min(1).max(8192).optional().meta({ description: 'http(s) URL of the picture to start from, downloaded through the SSRF guard.' }),
    prompt: Prompt.optional().meta({ description: 'Or: make the first picture from this prompt (text-to-image).' }),
    ...SessionSettingsShape,
  })
  .strict()
  .refine((b) => (b.image_url === undefined) !== (b.prompt === undefined), { message: 'give exactly one of image_url or prompt (or upload the image)', path: ['image_url'] })
  .meta({ id: 'CreateSession' });

export const UploadSessionForm = z
  .object({
    image: z.string().meta({ format: 'binary', description: 'The image file.' }),
    title: Title.optional(),
    endpoint: EndpointId.optional(),
    params: z.string().optional().meta({ description: 'Session default params as JSON text.' }),
    budgetMicros: z.string().optional(),
  })
  .meta({ id: 'UploadSession' });

export const UpdateSessionBody = z.object(SessionSettingsShape).strict().meta({ id: 'UpdateSession' });

export const EditBody = z
  .object({
    prompt: Prompt,
    params: KontextParamsOverrides.optional(),
    from: TurnRef.optional().meta({ description: 'Turn to continue from. Default HEAD; a turn that is not a leaf starts a new branch.' }),
    candidate: z.number().int().min(0).max(3).optional().meta({ description: "Which output of that turn to continue from. Default its picked one." }),
    endpoint: EndpointId.optional(),
    memo: z.enum(['auto', 'always', 'never']).optional().meta({ description: 'Reuse an identical earlier result: auto (only with a fixed seed), always, never.' }),
    references: z
      .array(z.string().min(1))
      .max(16)
      .optional()
      .meta({
        description:
          "Reference images sent beside the chained one, in order: each a data:image/…;base64, URL, an http(s) URL (downloaded through the SSRF guard) or /images/<hash> of an image of your sessions. At most the endpoint's maxReferences (GET /endpoints).",
      }),
  })
  .strict()
  .meta({ id: 'Edit' });

export const ForkBody = z
  .object({ turn: TurnRef.meta({ description: 'The turn to fork at: HEAD of the new session goes to its copy.' }), ...ForkOptionsSchema.shape })
  .strict()
  .meta({ id: 'Fork' });

export const PickBody = z.object({ index: z.number().int().min(0).max(3) }).strict().meta({ id: 'Pick' });
export const CheckoutBody = z.object({ ref: TurnRef }).strict().meta({ id: 'Checkout' });
export const CreateBranchBody = z.object({ name: BranchName, at: TurnRef.optional().meta({ description: 'Default HEAD.' }) }).strict().meta({ id: 'CreateBranch' });
export const RenameBranchBody = z.object({ name: BranchName }).strict().meta({ id: 'RenameBranch' });
export const EmptyBody = z.object({}).strict();

export const ReplayBody = z
  .object({
    to: TurnRef.optional().meta({ description: 'Last turn of the path root → to. Default HEAD.' }),
    mode: z.enum(['exact', 'fresh']).optional().meta({ description: 'exact: copy the archived results (no provider call); fresh: run again with the recorded seeds.' }),
    branch: BranchName.optional(),
  })
  .strict()
  .meta({ id: 'Replay' });

export const WhatIfBody = z
  .object({
    turn: TurnRef,
    prompt: Prompt.optional(),
    params: KontextParamsOverrides.optional(),
    dryRun: z.boolean().optional().meta({ description: 'Plan and price only; write nothing.' }),
  })
  .strict()
  .refine((b) => b.prompt !== undefined || b.params !== undefined, { message: 'give a new prompt or params', path: ['prompt'] })
  .meta({ id: 'WhatIf' });


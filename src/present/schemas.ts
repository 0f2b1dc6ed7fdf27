import { z } from 'zod';
import 'zod-openapi';
import { TurnDriftJson, TurnSizesJson } from '../quality/schemas.js';
import { QualitySettingsSchema } from '../quality/settings.js';

/**
 * The documents every interface shows (HTTP answers, the CLI's `--json`, MCP results): one
 * schema each, from which the OpenAPI document is generated and against which tests parse.
 */

/** Session and turn ids are nanoids; anything else cannot name one (checked before any lookup). */
export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).meta({ description: 'A session or turn id.', example: 'V1StGXR8_Z5j' });
export const Hash = z.string().regex(/^[0-9a-f]{64}$/).meta({ description: 'sha256 of the image bytes, lower-case hex.' });

const Timestamp = z.string().meta({ description: 'ISO 8601 time.' });

const ImageAddress = z.string().meta({
  description: 'Where this interface serves the image: /images/<hash> over HTTP, kontext://images/<hash> over MCP, the archived file in the CLI.',
});

export const OutputJson = z
  .object({
    index: z.number().int(),
    picked: z.boolean().meta({ description: 'The candidate the next edit from this turn continues from.' }),
    hash: Hash,
    url: ImageAddress,
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    contentType: z.string(),
    nsfw: z.boolean(),
  })
  .meta({ id: 'Output' });

export const TurnStatus = z.enum(['pending', 'submitted', 'running', 'succeeded', 'failed', 'cancelled']);

export const TurnJson = z
  .object({
    id: Id,
    sessionId: Id,
    parentId: Id.nullable(),
    depth: z.number().int(),
    kind: z.enum(['source', 'text', 'edit']),
    status: TurnStatus,
    prompt: z.string().nullable(),
    endpointId: z.string().nullable(),
    provider: z.string().nullable(),
    params: z.record(z.string(), z.unknown()),
    seedRequested: z.number().int().nullable(),
    seedUsed: z.number().int().nullable(),
    requestId: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    timings: z.record(z.string(), z.number()).nullable(),
    costMicros: z.number().int(),
    cost: z.string().meta({ description: 'costMicros in dollars, as shown to people: $0.04.' }),
    selectedOutput: z.number().int(),
    image: ImageAddress.nullable().meta({ description: 'The picked output, or null when the turn has none.' }),
    inputBlob: Hash.nullable(),
    references: z.array(ImageAddress).meta({ description: 'The reference images sent beside the input image, in order (empty for most turns).' }),
    originTurnId: z.string().nullable(),
    originKind: z.string().nullable(),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    outputs: z.array(OutputJson),
    sizes: TurnSizesJson.nullable(),
    drift: TurnDriftJson.nullable(),
    pinned: z.boolean().meta({ description: 'Marked as a favourite (PUT …/turns/:turn/pin); GET …/pins lists them.' }),
  })
  .meta({ id: 'Turn' });

export const SessionJson = z
  .object({
    id: Id,
    title: z.string(),
    owner: z.string().nullable(),
    headTurnId: Id.nullable(),
    headRef: z.string().nullable(),
    redoStack: z.array(Id),
    defaultEndpoint: z.string(),
    defaultParams: z.record(z.string(), z.unknown()),
    budgetMicros: z.number().int().nullable(),
    quality: QualitySettingsSchema,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Session' });

export const BranchJson = z.object({ name: z.string(), turnId: Id, createdAt: Timestamp }).meta({ id: 'Branch' });
export const TreeJson = z.object({ session: SessionJson, turns: z.array(TurnJson), branches: z.array(BranchJson) }).meta({ id: 'Tree' });
export const SessionListJson = z.object({ sessions: z.array(SessionJson) });
export const BranchListJson = z.object({ branches: z.array(BranchJson) });
export const HeadJson = z.object({ session: SessionJson, head: TurnJson.nullable() }).meta({ id: 'Head' });
export const CostJson = z
  .object({ totalMicros: z.number().int(), budgetMicros: z.number().int().nullable(), byBranch: z.record(z.string(), z.number().int()), byTurn: z.record(z.string(), z.number().int()) })
  .meta({ id: 'Cost' });
export const ReplayJson = z
  .object({
    mode: z.enum(['exact', 'fresh']),
    branch: z.string(),
    tip: Id,
    steps: z.array(z.object({ original: Id, replayed: Id, status: TurnStatus, fidelity: z.record(z.string(), z.unknown()).optional() })),
    providerCalls: z.number().int(),
    costMicros: z.number().int(),
  })
  .meta({ id: 'ReplayReport' });
export const WhatIfJson = z
  .object({
    dryRun: z.boolean(),
    plan: z.array(z.object({ original: Id, parent: Id, prompt: z.string(), endpointId: z.string(), estimatedCostMicros: z.number().int() })),
    estimatedCostMicros: z.number().int(),
    mapping: z.record(z.string(), Id),
    branches: z.record(z.string(), z.string()),
    failed: z.array(Id),
  })
  .meta({ id: 'WhatIfResult' });
export const SubtreeDeletionJson = z
  .object({
    sessionId: Id,
    parentId: Id.meta({ description: 'Where HEAD (if it was inside) and moved branches now point.' }),
    deletedTurnIds: z.array(Id),
    movedBranches: z.array(z.string()),
    deletedBranches: z.array(z.string()),
    headMovedTo: Id.nullable(),
  })
  .meta({ id: 'SubtreeDeletion' });
export const ImportJson = z
  .object({ sessionId: Id, turns: z.number().int(), blobs: z.number().int(), alreadyPresent: z.boolean() })
  .meta({ id: 'ImportResult' });
export const EventJson = z
  .object({
    id: z.number().int(),
    type: z.enum(['turn.created', 'turn.queued', 'turn.submitted', 'turn.running', 'turn.succeeded', 'turn.failed', 'turn.cancelled', 'head.moved']),
    sessionId: Id,
    turnId: Id.nullable(),
    at: z.number().int(),
    status: TurnStatus.optional(),
    position: z.number().int().optional(),
    local: z.boolean().optional(),
    waitingFor: Id.optional().meta({ description: 'turn.queued: the parent turn this one waits for' }),
    logs: z.array(z.object({ message: z.string(), level: z.string().optional(), timestamp: z.string().optional() })).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    prompt: z.string().nullable().optional(),
    parentId: Id.nullable().optional(),
  })
  .meta({ id: 'Event', description: "One server-sent event's data; the SSE `event:` field is its type and `id:` resumes after it." });
export const ErrorJson = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }) })
  .meta({ id: 'Error' });

export const EndpointJson = z
  .object({
    id: z.string(),
    kind: z.enum(['edit', 'text-to-image']),
    provider: z.string(),
    title: z.string(),
    priceMicros: z.number().int().meta({ description: 'Price of one image at the default size in micro-dollars; FLUX.2 prices by megapixel, so larger sizes and references cost more.' }),
    price: z.string().meta({ description: 'priceMicros in dollars: $0.04.' }),
    pricedBySize: z.boolean().meta({ description: 'Whether the price depends on the requested size and the number of input images (FLUX.2).' }),
    maxReferences: z.number().int().meta({ description: 'Reference images an edit may send beside the chained one.' }),
    aspectRatios: z.array(z.string()),
    sizes: z.object({ min: z.number().int(), max: z.number().int(), multipleOf: z.number().int() }).nullable().meta({ description: 'Exact width/height it takes, or null.' }),
    seed: z.boolean().meta({ description: 'Whether a request may fix the seed.' }),
  })
  .meta({ id: 'Endpoint' });

export const EndpointListJson = z.object({ endpoints: z.array(EndpointJson) }).meta({ id: 'EndpointList' });

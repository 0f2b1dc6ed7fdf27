import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import {
  BranchJson,
  BranchListJson,
  BranchPath,
  CheckoutBody,
  CostJson,
  CreateBranchBody,
  CreateSessionBody,
  EditBody,
  EditQuery,
  ErrorJson,
  EventJson,
  EventsQuery,
  HeadJson,
  ImagePath,
  ImportJson,
  PickBody,
  RenameBranchBody,
  ReplayBody,
  ReplayJson,
  SessionListJson,
  SessionPath,
  TreeJson,
  TurnJson,
  SubtreeDeletionJson,
  ForkBody,
  DeleteTurnQuery,
  TurnPath,
  UpdateSessionBody,
  UploadQuery,
  UploadSessionForm,
  WhatIfBody,
  WhatIfJson,
} from './schemas.js';
import { EndpointListJson } from '../present/schemas.js';

type Responses = ZodOpenApiOperationObject['responses'];

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: z.ZodType, status = '200'): Responses => ({ [status]: { description, ...json(schema) } });
const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'Malformed request (body not JSON, wrong Content-Type)',
  '401': 'Missing or unknown bearer token',
  '404': 'Not found (or not yours)',
  '409': 'Conflicts with the current state (nothing to undo, branch exists, budget exceeded)',
  '413': 'Body over the limit',
  '422': 'Invalid fields (every problem is listed in details.issues)',
  '429': 'Too many turns in flight; see Retry-After',
};
const errors = (...statuses: string[]): Responses =>
  Object.fromEntries(['400', '401', '404', ...statuses].map((s) => [s, { description: ERROR_DESCRIPTIONS[s] ?? 'Error', ...json(ErrorJson) }]));
const jsonBody = (schema: z.ZodType, required = true) => ({ required, content: { 'application/json': { schema } } });
const TurnList = z.object({ turns: z.array(TurnJson) });

function op(summary: string, operation: Omit<ZodOpenApiOperationObject, 'summary'>): ZodOpenApiOperationObject {
  return { summary, ...operation };
}

const sessionScoped = { path: SessionPath };
const turnScoped = { path: TurnPath };

const paths: ZodOpenApiPathsObject = {
  '/sessions': {
    get: op('List your sessions, newest first', { responses: { ...ok('Sessions', SessionListJson), ...errors() } }),
    post: op('Start a session from an image URL, a prompt, or an uploaded image', {
      requestParams: { query: UploadQuery },
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: CreateSessionBody },
          'multipart/form-data': { schema: UploadSessionForm },
          'image/*': { schema: z.string().meta({ format: 'binary', description: 'The image bytes; settings as query parameters.' }) },
        },
      },
      responses: { ...ok('The session and its root turn', HeadJson, '201'), ...errors('409', '413', '422', '429') },
    }),
  },
  '/sessions/{sessionId}': {
    get: op('A session and its HEAD turn', { requestParams: sessionScoped, responses: { ...ok('The session', HeadJson), ...errors() } }),
    patch: op("Change a session's title, default params, endpoint or budget", {
      requestParams: sessionScoped,
      requestBody: jsonBody(UpdateSessionBody),
      responses: { ...ok('The session', HeadJson), ...errors('413', '422') },
    }),
    delete: op('Delete a session with all its turns', { requestParams: sessionScoped, responses: { '204': { description: 'Deleted' }, ...errors('409') } }),
  },
  '/sessions/{sessionId}/tree': {
    get: op('Every turn (with outputs) and branch of a session', { requestParams: sessionScoped, responses: { ...ok('The tree', TreeJson), ...errors() } }),
  },
  '/sessions/{sessionId}/fork': {
    post: op('Copy the path root → turn (or with whole, the whole tree) into a new session of yours; images are shared, copies cost nothing, running turns are not copied', {
      requestParams: sessionScoped,
      requestBody: jsonBody(ForkBody),
      responses: { ...ok('The new session and its HEAD (the copy of the turn); Location names it', HeadJson, '201'), ...errors('409', '413', '422') },
    }),
  },
  '/sessions/{sessionId}/pins': {
    get: op('The pinned turns of a session, in the order they were pinned', { requestParams: sessionScoped, responses: { ...ok('The pinned turns', TurnList), ...errors() } }),
  },
  '/sessions/{sessionId}/cost': {
    get: op('Spend per turn, per branch and in total (micro-dollars)', { requestParams: sessionScoped, responses: { ...ok('Costs', CostJson), ...errors() } }),
  },
  '/endpoints': {
    get: op('The endpoints an edit may use: provider, price, reference images, sizes, aspect ratios, seed (no token needed)', { security: [], responses: { ...ok('Endpoints', EndpointListJson) } }),
  },
  '/sessions/{sessionId}/turns': {
    post: op('Edit: a new turn from HEAD or any turn (202 and runs in the background, or 201 when done with ?wait=true)', {
      requestParams: { path: SessionPath, query: EditQuery },
      requestBody: jsonBody(EditBody),
      responses: { ...ok('The finished turn (?wait=true)', TurnJson, '201'), ...ok('The pending turn; follow it on its events', TurnJson, '202'), ...errors('409', '413', '422', '429') },
    }),
  },
  '/sessions/{sessionId}/turns/{turn}': {
    get: op('One turn with its outputs', { requestParams: turnScoped, responses: { ...ok('The turn', TurnJson), ...errors() } }),
    delete: op('Delete this turn and everything below it; refused (409) while a turn in it runs or for the root', {
      requestParams: { path: TurnPath, query: DeleteTurnQuery },
      responses: { ...ok('What was deleted, and where HEAD and the branches went', SubtreeDeletionJson), ...errors('409') },
    }),
  },
  '/sessions/{sessionId}/turns/{turn}/path': {
    get: op('The turns from the root to this one', { requestParams: turnScoped, responses: { ...ok('The path', TurnList), ...errors() } }),
  },
  '/sessions/{sessionId}/turns/{turn}/children': {
    get: op('The turns made from this one', { requestParams: turnScoped, responses: { ...ok('The children', TurnList), ...errors() } }),
  },
  '/sessions/{sessionId}/turns/{turn}/pick': {
    post: op('Choose the candidate the next edit from this turn continues from', {
      requestParams: turnScoped,
      requestBody: jsonBody(PickBody),
      responses: { ...ok('The turn', TurnJson), ...errors('422') },
    }),
  },
  '/sessions/{sessionId}/turns/{turn}/pin': {
    put: op('Pin the turn as a favourite (again: no change); refused (409) unless it succeeded', { requestParams: turnScoped, responses: { ...ok('The turn', TurnJson), ...errors('409') } }),
    delete: op('Unpin the turn (when not pinned: no change)', { requestParams: turnScoped, responses: { ...ok('The turn', TurnJson), ...errors() } }),
  },
  '/sessions/{sessionId}/turns/{turn}/cancel': {
    post: op('Cancel a turn in flight', { requestParams: turnScoped, responses: { ...ok('The cancelled turn', TurnJson), ...errors('409') } }),
  },
  '/sessions/{sessionId}/turns/{turn}/events': {
    get: op("Server-sent events of one turn, ending after its final event", {
      requestParams: { path: TurnPath, query: EventsQuery.omit({ turn: true }) },
      responses: { '200': { description: 'text/event-stream; each data line is an Event', content: { 'text/event-stream': { schema: EventJson } } }, ...errors() },
    }),
  },
  '/sessions/{sessionId}/events': {
    get: op('Server-sent events of a session: turn.created, turn.queued, turn.running (with logs), turn.succeeded, turn.failed, turn.cancelled, head.moved', {
      requestParams: { path: SessionPath, query: EventsQuery },
      responses: { '200': { description: 'text/event-stream; each data line is an Event; resume with Last-Event-ID', content: { 'text/event-stream': { schema: EventJson } } }, ...errors() },
    }),
  },
  '/sessions/{sessionId}/head': {
    get: op('The session and its HEAD turn', { requestParams: sessionScoped, responses: { ...ok('HEAD', HeadJson), ...errors() } }),
  },
  '/sessions/{sessionId}/undo': {
    post: op("Move HEAD to its parent", { requestParams: sessionScoped, responses: { ...ok('The new HEAD', HeadJson), ...errors('409') } }),
  },
  '/sessions/{sessionId}/redo': {
    post: op('Move HEAD back to where the last undo left', { requestParams: sessionScoped, responses: { ...ok('The new HEAD', HeadJson), ...errors('409') } }),
  },
  '/sessions/{sessionId}/checkout': {
    post: op('Move HEAD to a turn, or attach it to a branch', {
      requestParams: sessionScoped,
      requestBody: jsonBody(CheckoutBody),
      responses: { ...ok('The new HEAD', HeadJson), ...errors('422') },
    }),
  },
  '/sessions/{sessionId}/branches': {
    get: op('Branches of a session', { requestParams: sessionScoped, responses: { ...ok('Branches', BranchListJson), ...errors() } }),
    post: op('Create a branch at a turn (default HEAD)', {
      requestParams: sessionScoped,
      requestBody: jsonBody(CreateBranchBody),
      responses: { ...ok('The branch', BranchJson, '201'), ...errors('409', '422') },
    }),
  },
  '/sessions/{sessionId}/branches/{name}': {
    patch: op('Rename a branch', { requestParams: { path: BranchPath }, requestBody: jsonBody(RenameBranchBody), responses: { ...ok('The branch', BranchJson), ...errors('409', '422') } }),
    delete: op('Delete a branch (its turns stay)', { requestParams: { path: BranchPath }, responses: { '204': { description: 'Deleted' }, ...errors() } }),
  },
  '/sessions/{sessionId}/replay': {
    post: op('Replay root → a turn into a new branch, exactly from the archive or afresh with the recorded seeds', {
      requestParams: sessionScoped,
      requestBody: jsonBody(ReplayBody, false),
      responses: { ...ok('The replay', ReplayJson, '201'), ...errors('409', '422', '429') },
    }),
  },
  '/sessions/{sessionId}/what-if': {
    post: op("Change one turn's prompt or params and re-apply its subtree (dryRun: plan and cost only)", {
      requestParams: sessionScoped,
      requestBody: jsonBody(WhatIfBody),
      responses: { ...ok('The plan (dry run)', WhatIfJson), ...ok('The result', WhatIfJson, '201'), ...errors('409', '422', '429') },
    }),
  },
  '/sessions/{sessionId}/export': {
    get: op('Download the session as a bundle (gzip tar: manifest.json and the images)', {
      requestParams: sessionScoped,
      responses: { '200': { description: 'The bundle', content: { 'application/gzip': { schema: z.string().meta({ format: 'binary' }) } } }, ...errors() },
    }),
  },
  '/imports': {
    post: op('Upload a bundle; it becomes a session of yours (importing the same bundle twice is a no-op)', {
      requestBody: { required: true, content: { 'application/gzip': { schema: z.string().meta({ format: 'binary' }) } } },
      responses: { ...ok('Imported', ImportJson, '201'), ...ok('Already present', ImportJson), ...errors('409', '413', '422') },
    }),
  },
  '/images/{hash}': {
    get: op('An archived image by its sha256 (ETag = the hash; If-None-Match answers 304)', {
      requestParams: { path: ImagePath },
      responses: {
        '200': { description: 'The image bytes', content: { 'image/*': { schema: z.string().meta({ format: 'binary' }) } } },
        '304': { description: 'Not modified' },
        '307': { description: 'Where the archive presigns (S3 with KONTEXT_S3_PRESIGN): the bytes are at the `Location` URL, valid for that many seconds' },
        ...errors(),
      },
    }),
  },
  '/webhooks/{provider}': {
    post: op("A provider's webhook (fal, bfl, replicate): no bearer token, the provider's signature is checked; it only wakes the turn, which fetches its result from the provider", {
      security: [],
      requestParams: { path: z.object({ provider: z.enum(['fal', 'bfl', 'replicate']) }) },
      requestBody: { required: true, content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
      responses: {
        ...ok('Taken (woke or resumed its turn) or ignored (replayed, or no unfinished turn has the job)', z.object({ outcome: z.enum(['woke', 'resumed', 'ignored']), reason: z.string().optional() })),
        '401': { description: 'Forged, unsigned or stale (more than 5 minutes off): nothing changed', ...json(ErrorJson) },
        '404': { description: 'No such provider, or webhooks are off (no KONTEXT_PUBLIC_URL)', ...json(ErrorJson) },
        '413': { description: 'Body over the limit', ...json(ErrorJson) },
      },
    }),
  },
};

/**
 * The OpenAPI 3.1 document of the server, generated from the same zod schemas that validate
 * each request (src/server/schemas.ts, which reuse src/kontext/schemas.ts).
 */
export function openApiDocument(options: { version: string; auth: boolean }): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'kontext-sessions',
      version: options.version,
      description: 'Multi-turn image editing sessions on FLUX.1 Kontext: a durable tree of edit turns, branching, replay. Errors are {"error": {"code", "message", "details"}}.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: options.auth ? [{ bearer: [] }] : [],
    paths,
  });
}

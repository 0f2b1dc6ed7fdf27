import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Turn } from '../../model/index.js';
import { clientCancellation } from '../cancellation.js';
import { withTurnSlot, type McpContext } from '../context.js';
import { forwardProgress } from '../progress.js';
import { toolResult, turnDoc, turnFailure, turnImages, turnLine } from '../results.js';
import { EditArguments, PickArguments, TurnArguments } from '../schemas.js';
import { defineTool } from './defineTool.js';
import { referencesFromBody } from '../../server/references.js';

/** `edit`, `pick` and `show`. */
export function turnTools(server: McpServer, ctx: McpContext): void {
  const { engine, access } = ctx;

  /** A turn with its log line, its images and, when it did not succeed, why (a tool error where the call was to make it). */
  const turnAnswer = async (turn: Turn, which: 'all' | 'picked', first: readonly string[] = [], failureIsError = true) => {
    const session = await engine.getSession(turn.sessionId);
    const failure = turnFailure(turn);
    const lines = [...first, turnLine(turn, session, await engine.listBranches(session.id)), ...(failure ? [failure] : [])];
    return toolResult(lines, { turn: turnDoc(turn) }, await turnImages(ctx, turn, which), failureIsError && failure !== undefined);
  };

  defineTool(server, ctx, {
    name: 'edit',
    title: 'Edit the picture',
    description:
      'Edits the picture at HEAD (or at `from`: a turn id, branch, HEAD~N) with a prompt, on the provider: a paid call. ' +
      "The new turn's input is its parent's picked output, so edits chain; editing from a turn that already has children starts a new branch. " +
      'Waits for the result and sends progress while it runs; cancelling the call cancels the turn on the provider. ' +
      'Returns the turn id and every candidate image (num_images); the next edit continues from the picked one (see pick). ' +
      '`references` adds reference images beside the chained one (data URIs, http(s) URLs, or kontext://images/<hash> of a session image), up to what the endpoint takes.',
    args: EditArguments,
    effect: 'spend',
    run: async ({ sessionId, prompt, params, from, candidate, endpoint, memo, references: given }, extra) => {
      await access.session(ctx.owner, sessionId);
      const references = await referencesFromBody(ctx, { owner: ctx.owner, sessionId, endpoint, signal: extra.signal }, given);
      const turn = await withTurnSlot(ctx, async () => {
        const handle = await engine.startEdit(sessionId, prompt, params ?? {}, { from, candidate, endpoint, memo, references });
        // A cancelled call cancels its turn, on the provider too, rather than leave it running for nobody.
        const cancellation = clientCancellation(extra, ctx.connection);
        const cancel = () => void handle.cancel().catch((error: unknown) => ctx.log(`cancelling turn ${handle.turn.id}: ${(error as Error).message}`));
        if (cancellation.signal.aborted) cancel();
        else cancellation.signal.addEventListener('abort', cancel, { once: true });
        const events = handle.events();
        const progress = forwardProgress(events, extra);
        try {
          const finished = await handle.result();
          // The turn's final event came before its result, so this ends once the last progress is sent: before the answer.
          await progress;
          return finished;
        } finally {
          cancellation.dispose();
          cancellation.signal.removeEventListener('abort', cancel);
          void events.return?.();
        }
      });
      return turnAnswer(turn, 'all');
    },
  });

  defineTool(server, ctx, {
    name: 'pick',
    title: 'Pick a candidate',
    description: 'Chooses which output (candidate) of a turn the next edit from it continues from.',
    args: PickArguments,
    effect: 'write',
    idempotent: true,
    run: async ({ sessionId, turn, index }) => {
      const row = await access.turn(ctx.owner, sessionId, turn);
      return turnAnswer(await engine.pick(row.id, index), 'picked', [`turn ${row.id}: candidate ${index} picked`]);
    },
  });

  defineTool(server, ctx, {
    name: 'show',
    title: 'Show a turn',
    description: 'One turn (id, unique prefix, branch, HEAD, HEAD~N): prompt, params, seeds, cost, status and its images.',
    args: TurnArguments,
    effect: 'read',
    run: async ({ sessionId, turn }) => {
      const row = await access.turn(ctx.owner, sessionId, turn);
      return turnAnswer(await engine.getTurn(row.id), 'all', [], false);
    },
  });
}

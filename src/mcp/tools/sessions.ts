import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { clientCancellation } from '../cancellation.js';
import { withTurnSlot, type McpContext } from '../context.js';
import { readImageArgument } from '../images.js';
import { sessionWithHead, toolResult, turnFailure, turnImages, turnLine } from '../results.js';
import { NoArguments, StartSessionArguments } from '../schemas.js';
import { sessionDoc } from '../../present/index.js';
import { defineTool } from './defineTool.js';

/** `list_sessions` and `start_session`. */
export function sessionTools(server: McpServer, ctx: McpContext): void {
  const { engine, access } = ctx;

  defineTool(server, ctx, {
    name: 'list_sessions',
    title: 'List sessions',
    description: 'The editing sessions you can work on, most recently changed first: id, title and HEAD turn of each.',
    args: NoArguments,
    effect: 'read',
    run: async () => {
      const sessions = await engine.listSessions(access.listFilter(ctx.owner));
      const lines = sessions.length === 0 ? ['no sessions yet: start one with start_session'] : sessions.map((s) => `${s.id}  ${s.title || '(untitled)'}  HEAD ${s.headTurnId ?? '-'}`);
      return toolResult(lines, { sessions: sessions.map(sessionDoc) });
    },
  });

  defineTool(server, ctx, {
    name: 'start_session',
    title: 'Start an editing session',
    description:
      'Starts a session from a picture (an http(s) URL, base64 bytes or a data URI: no provider call) or from a prompt ' +
      '(text-to-image: a paid provider call). Its first turn is the root of a tree that edit, branch, undo and replay work on. ' +
      'Returns the session id, the root turn id and the picture.',
    args: StartSessionArguments,
    effect: 'spend',
    run: async ({ image, prompt, ...settings }, extra) => {
      const cancellation = clientCancellation(extra, ctx.connection);
      const start = { ...settings, owner: ctx.owner, signal: cancellation.signal };
      const session = await (prompt !== undefined
        ? withTurnSlot(ctx, () => engine.startSession({ ...start, prompt }))
        : readImageArgument(image!, ctx, extra.signal).then((bytes) => engine.startSession({ ...start, image: { bytes } }))
      ).finally(() => cancellation.dispose());
      const head = await engine.head(session.id);
      const failure = head ? turnFailure(head) : undefined;
      const refs = await engine.listBranches(session.id);
      const lines = [`session ${session.id} started`, ...(head ? [turnLine(head, session, refs)] : []), ...(failure ? [failure] : [])];
      return toolResult(lines, sessionWithHead(session, head), head ? await turnImages(ctx, head) : [], failure !== undefined);
    },
  });
}

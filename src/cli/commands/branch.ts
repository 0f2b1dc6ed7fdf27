import type { CommandSpec } from '../action.js';
import { UsageError } from '../UsageError.js';
import { short } from '../../present/lines.js';

type BranchInput =
  | { action: 'list' }
  | { action: 'create'; name: string; at: string }
  | { action: 'delete'; name: string }
  | { action: 'rename'; from: string; to: string };

/** `kontext branch [name] [-d name] [-m old new]`: list, create, delete or rename branches. */
export const branchCommand: CommandSpec<BranchInput> = {
  name: 'branch',
  parse: ([name, second], options) => {
    if (options.delete && options.move) throw new UsageError('-d and -m cannot be used together');
    if (options.delete) {
      if (name === undefined || second !== undefined) throw new UsageError('-d takes exactly one branch name: kontext branch -d <name>');
      return { action: 'delete', name };
    }
    if (options.move) {
      if (name === undefined || second === undefined) throw new UsageError('-m takes two branch names: kontext branch -m <old> <new>');
      return { action: 'rename', from: name, to: second };
    }
    return name === undefined ? { action: 'list' } : { action: 'create', name, at: second ?? 'HEAD' };
  },
  run: async (ctx, input) => {
    const { store } = ctx;
    const sessionId = await ctx.sessionId();
    switch (input.action) {
      case 'create': {
        const engine = await ctx.engine();
        const ref = await engine.createBranch(sessionId, input.name, input.at);
        return { data: { created: { name: ref.name, turnId: ref.turnId } }, text: [`created branch ${ref.name} at ${short(ref.turnId)}`] };
      }
      case 'delete': {
        const ref = await store.findRef(sessionId, input.name);
        await (await ctx.engine()).deleteBranch(sessionId, input.name);
        return { data: { deleted: { name: input.name, turnId: ref?.turnId ?? null } }, text: [`deleted branch ${input.name}${ref ? ` (was ${short(ref.turnId)})` : ''}`] };
      }
      case 'rename': {
        const ref = await (await ctx.engine()).renameBranch(sessionId, input.from, input.to);
        return { data: { renamed: { from: input.from, to: ref.name, turnId: ref.turnId } }, text: [`renamed branch ${input.from} to ${ref.name}`] };
      }
      case 'list': {
        const session = await store.getSession(sessionId);
        const refs = await store.listRefs(sessionId);
        const turns = new Map((await Promise.all(refs.map((r) => store.getTurn(r.turnId)))).map((t) => [t.id, t]));
        const width = Math.max(0, ...refs.map((r) => r.name.length));
        const text = refs.map((r) => {
          const turn = turns.get(r.turnId);
          const what = turn?.kind === 'source' ? '[source image]' : (turn?.prompt ?? '');
          return `${session.headRef === r.name ? '*' : ' '} ${r.name.padEnd(width)}  ${short(r.turnId)} ${what}`.trimEnd();
        });
        if (!session.headRef && session.headTurnId) text.unshift(`* (HEAD detached at ${short(session.headTurnId)})`);
        return {
          data: {
            head: session.headTurnId,
            attached: session.headRef,
            branches: refs.map((r) => ({ name: r.name, turnId: r.turnId, attached: session.headRef === r.name })),
          },
          text,
        };
      }
    }
  },
};

import type { Command } from 'commander';
import { commandAction, type CliRuntime, type CommandSpec } from '../action.js';
import { ContractOption } from '../contractOption.js';
import { addParamFlags } from '../paramFlags.js';

/** Mirrors src/server's defaults for the help text; the server applies its own. */
export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';

/**
 * Declares every command, in the order `kontext --help` lists them: name, arguments,
 * options and help. What a command does is in its own module (`./log.ts`, …), imported only
 * when that command runs: `kontext log` loads neither `edit`'s schemas nor `serve`'s server,
 * and `kontext --help` loads no command at all. Node pays about a millisecond for every
 * module it loads, so the declarations are kept together here rather than one file each.
 */
export function declareCommands(program: Command, runtime: CliRuntime): void {
  const runs = <I>(load: () => Promise<CommandSpec<I>>) => commandAction(runtime, load);

  program
    .command('new')
    .description('start a session from an image (file path or http(s) URL), or from a prompt (text-to-image), and make it current')
    .argument('[image]', 'image file path or http(s) URL to start from')
    .option('--prompt <text>', 'generate the first image from this prompt instead (default: none: start from <image>)')
    .option('--title <text>', 'title of the session (default: the image file name, or the prompt)')
    .addOption(
      new ContractOption(
        '--endpoint <id>',
        (c) => `edit endpoint every turn uses: ${c.EDIT_ENDPOINTS.join(', ')} (default: ${c.FAL_KONTEXT_PRO} with fal, ${c.LOCAL_KONTEXT_SIM} with local)`,
      ),
    )
    .option('--budget <dollars>', 'refuse any turn that would take the session above this spend, e.g. 2.50 (default: no limit)')
    .option('--no-pin-aspect', "do not send the aspect_ratio nearest the source's shape (default: pinned)")
    .option('--resize-to-source', 'resize every output back to the source size, keeping the raw output as another candidate (default: off)')
    .option('--preserve-regions', "keep the parent's pixels where an edit did not change the picture, keeping the raw output as another candidate (default: off)")
    .option('--warn-ssim <n>', 'warn when drift from the source has SSIM below this, 0 to 1 (default: 0.9)')
    .option('--warn-delta-e <n>', 'warn when drift from the source has ΔE above this (default: 5)')
    .action(runs(() => import('./new.js').then((m) => m.newCommand)));

  addParamFlags(
    program
      .command('edit')
      .description('edit the image at HEAD (or --from) with a prompt; editing from a turn that already has children makes a new branch')
      .argument('<prompt>', 'the edit instruction, e.g. "make it night"')
      .option('--from <turn|branch>', 'turn to continue from: id or unique prefix, branch name, HEAD~N (default: HEAD)')
      .option('--candidate <n>', "which output of that turn to continue from (default: its picked one, see 'kontext pick')")
      .addOption(new ContractOption('--endpoint <id>', (c) => `edit endpoint for this turn only: ${c.EDIT_ENDPOINTS.join(', ')} (default: the session's)`))
      .option('--ref <path|url>', 'a reference image sent beside the chained one (a file, an http(s) URL or a data URI); repeat for more, up to what the endpoint takes (default: none)', (value: string, previous: string[] = []) => [...previous, value]),
  ).action(runs(() => import('./edit.js').then((m) => m.editCommand)));

  program
    .command('log')
    .description('list the turns from the root to HEAD (or the whole tree with --all), newest first')
    .option('--graph', 'draw the tree like git log --graph: * a turn, | a branch, |/ where it forks (default: off)')
    .option('--all', 'every turn of the session, not only the path to HEAD (default: off)')
    .action(runs(() => import('./log.js').then((m) => m.logCommand)));

  program
    .command('show')
    .description('show one turn: prompt, params, seeds, cost, timings, provenance and its image files (archive paths)')
    .argument('<turn>', 'turn id or unique prefix (at least 4 characters), branch name, HEAD, HEAD~N')
    .action(runs(() => import('./show.js').then((m) => m.showCommand)));

  program
    .command('checkout')
    .description('move HEAD to a turn or branch (a branch name attaches HEAD, so edits advance the branch)')
    .argument('<turn|branch>', 'branch name, turn id or unique prefix (at least 4 characters), HEAD~N')
    .action(runs(() => import('./checkout.js').then((m) => m.checkoutCommand)));

  program
    .command('undo')
    .description("move HEAD to its parent turn ('kontext redo' goes back down)")
    .action(runs(() => import('./undo.js').then((m) => m.undoCommand)));

  program
    .command('redo')
    .description('move HEAD back to the turn the last undo left')
    .action(runs(() => import('./redo.js').then((m) => m.redoCommand)));

  program
    .command('branch')
    .description('list branches (* marks the one HEAD is attached to), or create one at HEAD (or <start>), delete (-d) or rename (-m) one')
    .argument('[name]', 'branch to create (or with -d, to delete; with -m, to rename)')
    .argument('[start|new]', 'turn or branch the new branch points at (default: HEAD); with -m, the new name')
    .option('-d, --delete', 'delete the branch <name>; its turns stay (default: off: list, or create <name>)')
    .option('-m, --move', 'rename the branch <name> to <new> (default: off: list, or create <name>)')
    .action(runs(() => import('./branch.js').then((m) => m.branchCommand)));

  program
    .command('pick')
    .description('choose which output (candidate) of a turn the next edit from it continues from')
    .argument('<turn>', 'turn id or unique prefix, branch name, HEAD, HEAD~N')
    .argument('<candidate>', 'index of the output, 0 to num_images - 1')
    .action(runs(() => import('./pick.js').then((m) => m.pickCommand)));

  program
    .command('rm')
    .description('delete a turn and every turn below it (refused while one of them runs); branches on them move to its parent, HEAD too')
    .argument('<turn>', 'turn id or unique prefix (at least 4 characters), branch name, HEAD~N; not the root')
    .option('--branches', 'delete the branches pointing into the subtree instead of moving them to its parent (default: off)')
    .action(runs(() => import('./rm.js').then((m) => m.rmCommand)));

  program
    .command('fork')
    .description('copy the path root → <turn> (or the whole tree with --whole) into a new session and make it current; images are shared, the copies cost nothing')
    .argument('<turn>', 'turn id or unique prefix (at least 4 characters), branch name, HEAD, HEAD~N; HEAD of the new session goes to its copy')
    .option('--whole', 'copy every finished turn and branch of the session, not only the path (default: off); turns still running are left out')
    .option('--title <text>', 'title of the new session (default: the title with " (fork)")')
    .action(runs(() => import('./fork.js').then((m) => m.forkCommand)));

  program
    .command('pin')
    .description("mark a succeeded turn as a favourite ('kontext pins' lists them, 'kontext log' marks them)")
    .argument('<turn>', 'turn id or unique prefix, branch name, HEAD, HEAD~N')
    .action(runs(() => import('./pin.js').then((m) => m.pinCommand)));

  program
    .command('unpin')
    .description('take a turn off the favourites')
    .argument('<turn>', 'turn id or unique prefix, branch name, HEAD, HEAD~N')
    .action(runs(() => import('./pin.js').then((m) => m.unpinCommand)));

  program
    .command('pins')
    .description('list the pinned turns of the session, in the order they were pinned')
    .action(runs(() => import('./pin.js').then((m) => m.pinsCommand)));

  program
    .command('replay')
    .description('replay the path root → <turn> into a new branch: exactly from the archive (no provider call), or --fresh with the recorded seeds')
    .argument('[turn]', 'last turn of the path (default: HEAD)')
    .option('--fresh', 'run every turn again with its endpoint, params and used seed, and report how close each image comes (default: exact copy)')
    .option('--branch <name>', 'name of the new branch (default: replay, replay-1, …)')
    .action(runs(() => import('./replay.js').then((m) => m.replayCommand)));

  addParamFlags(
    program
      .command('whatif')
      .description("change one turn's prompt (and params) and re-apply everything after it on a copy, like a git rebase; branches are copied with a -whatif suffix")
      .argument('<turn>', 'the turn to change: id or unique prefix, branch name, HEAD~N')
      .argument('<prompt>', 'its new prompt')
      .option('--dry-run', 'only print the plan and its estimated cost; write and spend nothing (default: off)'),
  ).action(runs(() => import('./whatif.js').then((m) => m.whatIfCommand)));

  program
    .command('cancel')
    .description('cancel a turn in flight (also on the provider, by its request id)')
    .argument('<turn>', 'turn id or unique prefix (at least 4 characters)')
    .action(runs(() => import('./cancel.js').then((m) => m.cancelCommand)));

  program
    .command('resume')
    .description('complete the turns an interrupted kontext left in flight, by their request ids (never submitting twice); every command does this first')
    .action(runs(() => import('./resume.js').then((m) => m.resumeCommand)));

  program
    .command('cost')
    .description("the session's spend: in total, per branch (root → tip) and against its budget")
    .action(runs(() => import('./cost.js').then((m) => m.costCommand)));

  program
    .command('sessions')
    .description('list the sessions in the database, most recently changed first (* marks the current one)')
    .action(runs(() => import('./sessions.js').then((m) => m.sessionsCommand)));

  program
    .command('use')
    .description('make a session the current one for later commands (remembered in a file beside the database)')
    .argument('<session>', "session id or unique prefix (see 'kontext sessions')")
    .action(runs(() => import('./use.js').then((m) => m.useCommand)));

  program
    .command('export')
    .description('write the session (turns, params, seeds, branches, provenance and every image) to one bundle file (.tgz)')
    .argument('<file>', 'bundle to write, e.g. kitchen.kontext.tgz (replaced if it exists)')
    .action(runs(() => import('./export.js').then((m) => m.exportCommand)));

  program
    .command('import')
    .description('import a bundle written by kontext export (every image hash is verified) and make its session current; importing twice is a no-op')
    .argument('<file>', 'bundle file to read')
    .action(runs(() => import('./import.js').then((m) => m.importCommand)));

  program
    .command('gc')
    .description('delete archived images that no turn refers to any more (after rm) and temp files of killed writes; a dry run unless --yes; safe while edits run')
    .option('--yes', 'delete them (default: off: only print what would be freed)')
    .action(runs(() => import('./gc.js').then((m) => m.gcCommand)));

  program
    .command('open')
    .description("print the archived image file of a turn's picked output, e.g. xdg-open \"$(kontext open HEAD)\"")
    .argument('<turn>', 'turn id or unique prefix, branch name, HEAD, HEAD~N')
    .option('--candidate <n>', 'another output of the turn (default: the picked one)')
    .action(runs(() => import('./open.js').then((m) => m.openCommand)));

  program
    .command('serve')
    .description('serve this database over HTTP (REST and server-sent events) until interrupted')
    .option('--port <n>', `port to listen on, 0 for any free one (default: ${DEFAULT_PORT})`)
    .option('--host <address>', `address to listen on; anything but loopback needs KONTEXT_TOKENS (default: ${DEFAULT_HOST})`)
    .action(runs(() => import('./serve.js').then((m) => m.serveCommand)));

  program
    .command('mcp')
    .description('serve this database to an agent chat over MCP (stdin/stdout): tools to start, edit, pick, branch, undo, redo, replay and price sessions')
    .action(runs(() => import('./mcp.js').then((m) => m.mcpCommand)));
}

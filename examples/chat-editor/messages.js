// One message of the chat: the prompt as the user's bubble, the picture(s) as the reply, and
// around them what can be done with that turn. Built with textContent and properties only:
// prompts, branch names and errors are the user's (or the provider's) text, never markup.

import { describeState, dollars, endedBadly, isUnfinished } from './format.js';

/** A small helper: an element with a class and optional text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(label, { className = '', title, action, testId }) {
  const b = el('button', className, label);
  b.type = 'button';
  if (title) b.title = title;
  if (testId) b.dataset.action = testId;
  b.addEventListener('click', (event) => {
    event.stopPropagation();
    action();
  });
  return b;
}

/**
 * @param {any} turn a turn document
 * @param {{
 *   progress: { queued?: number, queuedLocally?: boolean, waitingFor?: string, logs: string[] } | undefined,
 *   siblings: { index: number, count: number, previous?: string, next?: string },
 *   features: { pin: boolean, fork: boolean },
 *   compare: { a: string | null, b: string | null },
 *   setImage: (img: HTMLImageElement, output: { url: string, hash?: string }) => void,
 *   act: Record<string, (...args: any[]) => void>,
 * }} view
 */
export function chatTurn(turn, view) {
  const { state, label } = describeState(turn, view.progress);
  const item = el('li', 'turn');
  item.dataset.turnId = turn.id;
  item.dataset.status = turn.status;
  item.dataset.state = state;
  if (turn.pinned) item.dataset.pinned = 'true';

  const ask = el('div', 'ask');
  if (view.siblings.count > 1) ask.append(siblingSwitch(view));
  ask.append(el('p', 'prompt', turn.kind === 'source' ? 'Start from this image' : (turn.prompt ?? '')));
  item.append(ask);
  if (turn.references?.length) item.append(references(turn, view));

  const reply = el('div', 'reply');
  item.append(reply);

  if (isUnfinished(turn)) {
    const line = el('p', 'progress', label);
    line.dataset.testid = 'state-label';
    line.append(' ', button('Cancel', { className: 'cancel', title: 'Cancel this turn (Esc)', action: () => view.act.cancel(turn), testId: 'cancel' }));
    reply.append(line);
  }
  const logs = view.progress?.logs ?? [];
  if (logs.length) {
    const details = el('details', 'logs');
    details.open = isUnfinished(turn);
    details.append(el('summary', '', `log (${logs.length} line${logs.length === 1 ? '' : 's'})`), el('pre', '', logs.join('\n')));
    reply.append(details);
  }
  if (endedBadly(turn)) {
    const box = el('div', 'error');
    box.append(el('p', 'state', label));
    if (turn.error && turn.status === 'failed') box.append(el('p', 'reason', `${turn.error.message} (${turn.error.code})`));
    // A retry runs the prompt again from the same image; the first image has none before it.
    if (turn.parentId !== null && turn.prompt) {
      box.append(button('Retry', { className: 'retry', title: 'Run this prompt again from the same image', action: () => view.act.retry(turn), testId: 'retry' }));
    }
    reply.append(box);
  }
  if (turn.outputs.length > 0) reply.append(candidates(turn, view));
  if (turn.kind !== 'source' && !isUnfinished(turn)) reply.append(meta(turn));
  if (!isUnfinished(turn)) item.append(actions(turn, view));
  return item;
}

/** "‹ 2/3 ›": the turn's place among its parent's children, and the way to the others. */
function siblingSwitch(view) {
  const { index, count, previous, next } = view.siblings;
  const nav = el('span', 'siblings');
  nav.setAttribute('role', 'group');
  nav.setAttribute('aria-label', 'other versions of this message');
  const prev = button('‹', { className: 'sibling-prev', title: 'previous version', action: () => view.act.switchTo(previous), testId: 'sibling-prev' });
  prev.disabled = !previous;
  const after = button('›', { className: 'sibling-next', title: 'next version', action: () => view.act.switchTo(next), testId: 'sibling-next' });
  after.disabled = !next;
  nav.append(prev, el('span', 'sibling-count', `${index + 1}/${count}`), after);
  return nav;
}

function references(turn, view) {
  const strip = el('div', 'references');
  strip.setAttribute('aria-label', 'reference images');
  for (const ref of turn.references) {
    const url = typeof ref === 'string' ? ref : (ref.url ?? ref.image);
    if (!url) continue;
    const img = el('img', 'reference');
    img.alt = 'reference image';
    view.setImage(img, { url, hash: typeof ref === 'string' ? undefined : ref.hash });
    strip.append(img);
  }
  return strip;
}

/** The picture, or the candidates to choose from: each is a button, so a keyboard can pick too. */
function candidates(turn, view) {
  const box = el('div', `candidates count-${turn.outputs.length}`);
  const many = turn.outputs.length > 1;
  for (const output of turn.outputs) {
    const img = el('img', 'candidate');
    img.alt = `${turn.kind === 'source' ? 'starting image' : turn.prompt} (${output.width}×${output.height})`;
    img.dataset.hash = output.hash;
    img.dataset.index = String(output.index);
    img.dataset.selected = String(output.index === turn.selectedOutput);
    // Reserve the image's box before it loads, so redraws do not collapse and jump the chat.
    if (output.width && output.height) {
      img.width = output.width;
      img.height = output.height;
    }
    img.addEventListener('load', view.onImageLoad);
    view.setImage(img, output);
    if (!many) {
      box.append(img);
      continue;
    }
    const chosen = output.index === turn.selectedOutput;
    const pick = el('button', 'pick');
    pick.type = 'button';
    pick.dataset.index = String(output.index);
    pick.setAttribute('aria-pressed', String(chosen));
    pick.title = chosen ? 'the one the conversation continues from' : 'continue from this one';
    pick.append(img, el('span', 'pick-label', chosen ? '✓ chosen' : `use #${output.index + 1}`));
    if (!chosen) pick.addEventListener('click', () => view.act.pick(turn, output.index));
    box.append(pick);
  }
  if (many) {
    const hint = el('p', 'meta', `${turn.outputs.length} candidates: pick the one to continue from`);
    const wrap = el('div', 'candidate-set');
    wrap.append(box, hint);
    return wrap;
  }
  return box;
}

function meta(turn) {
  const line = el('p', 'meta');
  const seed = turn.seedUsed ?? turn.seedRequested;
  line.append(`seed ${seed ?? '–'} · `);
  const cost = el('span', 'turn-cost', dollars(turn.costMicros));
  cost.dataset.micros = String(turn.costMicros);
  cost.title = 'what this turn cost';
  line.append(cost);
  const drift = turn.drift?.root ?? turn.drift?.parent;
  if (drift) {
    const badge = el('span', 'drift-badge', `drift SSIM ${drift.ssim.toFixed(3)} ΔE ${drift.deltaE.toFixed(1)}`);
    // The default thresholds of a session's drift warning (SSIM 0.9, ΔE 5).
    if (drift.ssim < 0.9 || drift.deltaE > 5) badge.dataset.warn = 'true';
    badge.title = 'drift from the source image outside the edited region';
    line.append(' · ', badge);
  }
  if (turn.sizes?.mismatch) {
    const { output, source } = turn.sizes;
    const text = turn.sizes.resizedToSource ? 'resized back to the source size' : `size changed: ${source?.width}×${source?.height} → ${output?.width}×${output?.height}`;
    line.append(' · ', el('span', 'size-badge', text));
  }
  return line;
}

/** What can be done with a finished turn; features the server lacks are left out. */
function actions(turn, view) {
  const bar = el('div', 'actions');
  if (turn.outputs.length > 0) {
    const { a, b } = view.compare;
    const chosen = turn.id === a || turn.id === b;
    const compare = button(chosen ? 'Comparing' : a && !b ? 'Compare with A' : 'Compare', {
      title: 'Compare this turn with another one',
      action: () => view.act.compare(turn),
      testId: 'compare',
    });
    compare.setAttribute('aria-pressed', String(chosen));
    bar.append(compare);
  }
  if (view.features.pin) {
    bar.append(button(turn.pinned ? '★ Pinned' : '☆ Pin', { title: turn.pinned ? 'Unpin' : 'Pin as a favourite', action: () => view.act.pin(turn), testId: 'pin' }));
  }
  if (view.features.fork) bar.append(button('Fork…', { title: 'Copy this history into a new session', action: () => view.act.fork(turn), testId: 'fork' }));
  if (turn.parentId !== null) bar.append(button('Delete…', { className: 'danger', title: 'Delete this turn and everything after it', action: () => view.act.remove(turn), testId: 'delete' }));
  return bar;
}

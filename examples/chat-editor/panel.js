// The side panel's lists: branches (check out, rename in place, delete) and pinned turns.

import { button, el } from './messages.js';

/**
 * @param {HTMLElement} list
 * @param {{ branches: any[], current: string | null, checkout: (name: string) => void,
 *           rename: (name: string, to: string) => void, remove: (name: string) => void }} view
 */
export function renderBranches(list, view) {
  list.replaceChildren(
    ...view.branches.map((branch) => {
      const item = el('li');
      item.dataset.branch = branch.name;
      if (view.current === branch.name) item.dataset.current = 'true';
      const name = button(branch.name, { className: 'branch-name', title: `check out ${branch.name}`, action: () => view.checkout(branch.name) });
      const rename = button('✎', { className: 'icon', title: `rename ${branch.name}`, action: () => startRename(item, branch.name, view), testId: 'rename-branch' });
      rename.setAttribute('aria-label', `rename branch ${branch.name}`);
      const remove = button('×', { className: 'icon', title: `delete ${branch.name} (its turns stay)`, action: () => view.remove(branch.name), testId: 'delete-branch' });
      remove.setAttribute('aria-label', `delete branch ${branch.name}`);
      item.append(name, rename, remove);
      return item;
    }),
  );
}

/** Swaps the chip for a text field: Enter renames, Esc or leaving the field keeps the old name. */
function startRename(item, oldName, view) {
  const form = el('form', 'rename-form');
  const input = el('input');
  input.value = oldName;
  input.maxLength = 100;
  input.required = true;
  input.setAttribute('aria-label', `new name for ${oldName}`);
  form.append(input);
  let done = false;
  const finish = (to) => {
    if (done) return;
    done = true;
    if (to && to !== oldName) view.rename(oldName, to);
    else form.replaceWith(...chip);
  };
  const chip = [...item.childNodes];
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    finish(input.value.trim());
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      finish(null);
    }
  });
  input.addEventListener('blur', () => finish(null));
  item.replaceChildren(form);
  input.focus();
  input.select();
}

/** @param {{ turns: any[], headId: string | null, checkout: (turnId: string) => void }} view */
export function renderPinned(list, view) {
  const pinned = view.turns.filter((t) => t.pinned);
  list.replaceChildren(
    ...pinned.map((turn) => {
      const item = el('li');
      item.dataset.pinnedTurn = turn.id;
      if (turn.id === view.headId) item.dataset.head = 'true';
      item.append(button(`★ ${turn.kind === 'source' ? 'start' : turn.prompt}`, { title: 'continue from this turn', action: () => view.checkout(turn.id) }));
      return item;
    }),
  );
  return pinned.length;
}

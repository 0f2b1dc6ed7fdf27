// The page's keyboard shortcuts. Enter (send) belongs to the prompt box and is bound there.
//
// - Esc cancels the turn in flight at the end of the chat, from anywhere — also while typing,
//   where Esc edits nothing. An open dialog takes Esc for itself (it closes), so it wins.
// - Ctrl+Z undoes (HEAD to its parent) and Ctrl+Shift+Z (or Ctrl+Y) redoes, with ⌘ on a Mac.
//   Not while the focus is in a text field: there these keys undo typing, which is what a
//   person expects of them, so the page leaves them to the browser.

const TEXT_INPUTS = new Set(['text', 'search', 'url', 'email', 'number', 'password', 'tel']);

export function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && TEXT_INPUTS.has(target.type);
}

/** @param {{ undo: () => void, redo: () => void, cancel: () => void, dialogOpen: () => boolean }} on */
export function bindKeyboard(on) {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || on.dialogOpen()) return;
    if (event.key === 'Escape') {
      on.cancel();
      return;
    }
    const mod = event.ctrlKey || event.metaKey;
    if (!mod || event.altKey || isTyping(event.target)) return;
    const key = event.key.toLowerCase();
    if (key === 'z' && !event.shiftKey) {
      event.preventDefault();
      on.undo();
    } else if ((key === 'z' && event.shiftKey) || (key === 'y' && !event.shiftKey)) {
      event.preventDefault();
      on.redo();
    }
  });
}

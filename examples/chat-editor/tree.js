// The session tree beside the chat. A chain of single children is drawn as one column; a turn
// with several children forks into side-by-side columns, one per branch — like `git log --graph`
// turned on its side, which keeps a long conversation from drifting off to the right.

/**
 * @param {HTMLElement} container
 * @param {{ turns: any[], branches: any[], headId: string | null, pending: Map<string, string>,
 *           onSelect: (turnId: string) => void, setImage: (img: HTMLImageElement, output: any) => void }} view
 */
export function renderTree(container, view) {
  const children = new Map();
  let root;
  for (const turn of view.turns) {
    if (turn.parentId === null) root = turn;
    else children.set(turn.parentId, [...(children.get(turn.parentId) ?? []), turn]);
  }
  for (const list of children.values()) list.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const branchesAt = new Map();
  for (const branch of view.branches) branchesAt.set(branch.turnId, [...(branchesAt.get(branch.turnId) ?? []), branch.name]);

  const top = document.createElement('ul');
  top.className = 'chain';
  if (root) drawChain(top, root);
  container.replaceChildren(top);

  function drawChain(list, start) {
    for (let turn = start; turn; ) {
      const kids = children.get(turn.id) ?? [];
      const item = node(turn, kids.length === 0);
      list.append(item);
      if (kids.length === 1) {
        turn = kids[0];
        continue;
      }
      if (kids.length > 1) {
        const forks = document.createElement('div');
        forks.className = 'forks';
        for (const kid of kids) {
          const column = document.createElement('ul');
          column.className = 'chain';
          drawChain(column, kid);
          forks.append(column);
        }
        item.append(forks);
      }
      break;
    }
  }

  function node(turn, leaf) {
    const item = document.createElement('li');
    item.dataset.treeTurn = turn.id;
    item.dataset.status = turn.status;
    item.dataset.leaf = String(leaf);
    if (turn.id === view.headId) item.dataset.head = 'true';
    if (turn.pinned) item.dataset.pinned = 'true';

    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'node';
    button.title = turn.prompt ?? 'the starting image';
    button.addEventListener('click', () => view.onSelect(turn.id));
    const output = turn.outputs[turn.selectedOutput] ?? turn.outputs[0];
    if (output) {
      const img = document.createElement('img');
      img.alt = '';
      img.dataset.hash = output.hash;
      view.setImage(img, output);
      button.append(img);
    } else {
      const dot = document.createElement('span');
      dot.className = 'placeholder';
      dot.textContent = turn.status === 'failed' ? '✕' : turn.status === 'cancelled' ? '–' : '…';
      button.append(dot);
    }
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = `${turn.pinned ? '★ ' : ''}${turn.kind === 'source' ? 'start' : (turn.prompt ?? '')}`;
    button.append(label);
    item.append(button);

    for (const name of branchesAt.get(turn.id) ?? []) {
      const tag = document.createElement('span');
      tag.className = 'branch-tag';
      tag.textContent = name;
      item.append(tag);
    }
    if (turn.id === view.headId) {
      const head = document.createElement('span');
      head.className = 'head-tag';
      head.textContent = 'HEAD';
      item.append(head);
    }
    return item;
  }
}

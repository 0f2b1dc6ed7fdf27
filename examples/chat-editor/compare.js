// Two turns side by side, or one over the other with a slider that uncovers the second. When
// the server has the diff view, its heatmap is shown and its page linked.

import { el } from './messages.js';

const picked = (turn) => turn.outputs.find((o) => o.index === turn.selectedOutput) ?? turn.outputs[0];

/**
 * Fills the compare dialog for turns `a` and `b`.
 * @param {HTMLElement} body
 * @param {{ sessionId: string, a: any, b: any, diff: boolean, mode: 'slider' | 'side',
 *           setImage: (img: HTMLImageElement, output: { url: string, hash?: string }) => void }} view
 */
export function renderCompare(body, view) {
  const { a, b } = view;
  const outA = picked(a);
  const outB = picked(b);
  body.dataset.mode = view.mode;
  const caption = (turn, letter) => el('figcaption', '', `${letter}: ${turn.kind === 'source' ? 'the starting image' : turn.prompt}`);
  const image = (output, letter) => {
    const img = el('img', `compare-${letter}`);
    img.alt = `turn ${letter.toUpperCase()}`;
    img.dataset.hash = output.hash;
    if (output.width && output.height) {
      img.width = output.width;
      img.height = output.height;
    }
    view.setImage(img, output);
    return img;
  };

  const parts = [];
  if (view.mode === 'slider') {
    const stage = el('div', 'slider-stage');
    const top = el('div', 'slider-top');
    top.append(image(outB, 'b'));
    stage.append(image(outA, 'a'), top);
    const range = el('input', 'slider');
    range.type = 'range';
    range.min = '0';
    range.max = '100';
    range.value = '50';
    range.setAttribute('aria-label', 'how much of B to show');
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    const apply = () => stage.style.setProperty('--split', `${range.value}%`);
    range.addEventListener('input', apply);
    apply();
    const legend = el('p', 'compare-legend');
    legend.append(caption(a, 'A'), el('span', '', ' ⟷ '), caption(b, 'B'));
    const wrap = el('div', 'slider-wrap');
    wrap.append(stage, range, legend);
    parts.push(wrap);
  } else {
    const grid = el('div', 'side-by-side');
    for (const [turn, output, letter] of [[a, outA, 'a'], [b, outB, 'b']]) {
      const figure = el('figure');
      figure.append(image(output, letter), caption(turn, letter.toUpperCase()));
      grid.append(figure);
    }
    parts.push(grid);
  }

  if (view.diff) {
    const query = `a=${encodeURIComponent(a.id)}&b=${encodeURIComponent(b.id)}`;
    const diff = el('figure', 'diff');
    const heat = el('img', 'heatmap');
    heat.alt = 'where A and B differ';
    view.setImage(heat, { url: `/sessions/${view.sessionId}/diff/heatmap.png?${query}` });
    const link = el('a', 'diff-link', 'Open the full diff');
    link.href = `/sessions/${view.sessionId}/diff.html?${query}`;
    link.target = '_blank';
    link.rel = 'noopener';
    const figcaption = el('figcaption', '', 'Difference heatmap · ');
    figcaption.append(link);
    diff.append(heat, figcaption);
    parts.push(diff);
  }
  body.replaceChildren(...parts);
}

// The chat editor: a conversation with a picture. The chat column shows the path from the
// first image to HEAD; the tree beside it shows every turn, so any of them can be continued
// from. All state lives on the server: the page redraws from /tree after every change and
// follows the session's server-sent events for live progress.

import { api, ApiError, followEvents, getToken, imageSrc, routeExists, setToken } from './api.js';
import { renderCompare } from './compare.js';
import { dollars, endedBadly, isUnfinished } from './format.js';
import { bindKeyboard } from './keyboard.js';
import { chatTurn, el } from './messages.js';
import { renderBranches, renderPinned } from './panel.js';
import { renderTree } from './tree.js';

const $ = (id) => document.getElementById(id);

const state = {
  session: null,
  turns: new Map(),
  branches: [],
  cost: null,
  /** Live progress per turn id, from events: { queued?: number, queuedLocally?: boolean, waitingFor?: string, logs: string[] } */
  progress: new Map(),
  /** What the server offers beyond the core API (routes built later are probed, not assumed). */
  features: { pin: false, fork: false, diff: false, references: false },
  featuresProbed: null,
  /** The two turns being compared (A picked first). */
  compare: { a: null, b: null, mode: 'slider' },
  /** Reference images waiting to go with the next edit: { name, dataUrl }. */
  attachments: [],
  events: null,
  refreshing: null,
  /** Which session the refresh under way reads. */
  refreshingFor: null,
  refreshAgain: false,
};

// ------------------------------------------------------------------ start-up

async function main() {
  bindControls();
  let health;
  try {
    health = await api.health();
  } catch (error) {
    return showError(error);
  }
  if (health.defaultEndpoint?.startsWith('local/')) {
    const badge = $('provider-badge');
    badge.textContent = 'local simulator · offline, images are simulated';
    badge.hidden = false;
  }
  if (health.auth && !getToken()) return showTokenPanel();
  const fromHash = location.hash.slice(1);
  if (fromHash) await openSession(fromHash).catch(() => showStart());
  else await showStart();
}

function showTokenPanel() {
  hideAll();
  $('token-panel').hidden = false;
}

async function showStart() {
  closeEvents();
  state.session = null;
  hideAll();
  $('start').hidden = false;
  history.replaceState(null, '', '/');
  try {
    const { sessions } = await api.sessions();
    if (sessions.length === 0) {
      const none = document.createElement('li');
      none.className = 'none';
      none.textContent = 'none yet';
      $('session-list').replaceChildren(none);
      return;
    }
    $('session-list').replaceChildren(
      ...sessions.map((s) => {
        const item = document.createElement('li');
        item.dataset.sessionId = s.id;
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = `${s.title || 'untitled'} · ${new Date(s.updatedAt).toLocaleString()}`;
        button.addEventListener('click', () => openSession(s.id).catch(showError));
        item.append(button);
        return item;
      }),
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setToken('');
      return showTokenPanel();
    }
    showError(error);
  }
}

function hideAll() {
  for (const id of ['token-panel', 'start', 'workspace', 'session-cost', 'export', 'new-session', 'tree-toggle']) $(id).hidden = true;
  closeDrawer();
  $('session-title').textContent = '';
}

// ------------------------------------------------------------------ session

async function openSession(id) {
  closeEvents();
  hideAll();
  state.session = { id };
  state.turns.clear();
  state.progress.clear();
  history.replaceState(null, '', `#${id}`);
  $('workspace').hidden = false;
  $('new-session').hidden = false;
  $('export').hidden = false;
  $('tree-toggle').hidden = false;
  state.compare = { a: null, b: null, mode: state.compare.mode };
  await Promise.all([refresh(), probeFeatures(id)]);
  render();
  const controller = new AbortController();
  state.events = controller;
  // Each (re)connection reloads the tree: covers whatever happened while the stream was down.
  followEvents(`/sessions/${id}/events`, { signal: controller.signal, onEvent, onOpen: () => refresh(), replay: true }).catch(showError);
}

/**
 * Asks the server, once, which of the newer routes it has: pin, fork and the diff view are
 * OPTIONS-probed (405 where the route exists, 404 where not); reference images are a field of
 * the edit body, so the OpenAPI document says.
 */
function probeFeatures(sessionId) {
  state.featuresProbed ??= (async () => {
    const base = `/sessions/${sessionId}`;
    const [pin, fork, diff, references] = await Promise.all([
      routeExists(`${base}/turns/HEAD/pin`),
      routeExists(`${base}/fork`),
      routeExists(`${base}/diff.html`),
      api
        .openapi()
        .then((doc) => Boolean(doc?.components?.schemas?.Edit?.properties?.references))
        .catch(() => false),
    ]);
    state.features = { pin, fork, diff, references };
    $('attach').hidden = !references;
    document.body.dataset.features = Object.entries(state.features)
      .filter(([, on]) => on)
      .map(([name]) => name)
      .join(' ');
  })().catch((error) => {
    state.featuresProbed = null;
    throw error;
  });
  return state.featuresProbed;
}

function closeEvents() {
  state.events?.abort();
  state.events = null;
}

/** Reloads tree and cost; calls made while one is under way coalesce into one more. */
async function refresh() {
  const id = state.session?.id;
  if (!id) return;
  if (state.refreshing) {
    // One for the session on screen coalesces; one for a session just left is let finish first.
    if (state.refreshingFor === id) {
      state.refreshAgain = true;
      return state.refreshing;
    }
    await state.refreshing.catch(() => undefined);
    return refresh();
  }
  state.refreshingFor = id;
  state.refreshing = (async () => {
    try {
      do {
        state.refreshAgain = false;
        const [tree, cost] = await Promise.all([api.tree(id), api.cost(id)]);
        if (state.session?.id !== id) return;
        state.session = tree.session;
        state.turns = new Map(tree.turns.map((t) => [t.id, t]));
        state.branches = tree.branches;
        state.cost = cost;
        render();
      } while (state.refreshAgain);
    } finally {
      state.refreshing = null;
    }
  })();
  return state.refreshing;
}

function onEvent({ type, data }) {
  if (!data.turnId) return;
  const progress = state.progress.get(data.turnId) ?? { logs: [] };
  state.progress.set(data.turnId, progress);
  if (type === 'turn.created' && !state.turns.has(data.turnId)) {
    state.turns.set(data.turnId, placeholderTurn(data));
  }
  if (type === 'turn.queued') {
    progress.queued = data.position;
    progress.queuedLocally = data.local === true;
    progress.waitingFor = data.waitingFor;
  }
  if (type === 'turn.submitted') progress.waitingFor = undefined;
  if (type === 'turn.running') {
    progress.queued = undefined;
    progress.waitingFor = undefined;
    progress.logs.push(...(data.logs ?? []).map((l) => l.message));
  }
  // Only the in-between states come from events: a turn that has ended is shown as the server
  // stored it (outputs, cost, error), which the refresh below brings.
  const turn = state.turns.get(data.turnId);
  if (turn && type.startsWith('turn.') && ['pending', 'submitted', 'running'].includes(data.status) && isUnfinished(turn)) turn.status = data.status;
  renderSoon();
  // Anything that changes the tree's shape or a turn's images: ask the server for the truth.
  if (type === 'turn.created' || type === 'head.moved' || type === 'turn.succeeded' || type === 'turn.failed' || type === 'turn.cancelled') {
    refresh().catch(showError);
  }
}

/** One redraw per frame however many events arrive (a replay after opening brings hundreds). */
let renderPending = false;
function renderSoon() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    render();
  });
}

function placeholderTurn(event) {
  return {
    id: event.turnId,
    parentId: event.parentId ?? null,
    prompt: event.prompt ?? null,
    kind: 'edit',
    status: event.status ?? 'pending',
    outputs: [],
    selectedOutput: 0,
    costMicros: 0,
    seedUsed: null,
    createdAt: new Date(event.at).toISOString(),
    error: null,
  };
}

// ------------------------------------------------------------------ rendering

function render() {
  const session = state.session;
  if (!session?.headTurnId && state.turns.size === 0) return;
  $('session-title').textContent = session.title || 'untitled session';
  const headId = session.headTurnId;
  document.body.dataset.headTurn = headId ?? '';

  renderChat(chatTurns(headId));
  renderTree($('tree'), {
    turns: [...state.turns.values()],
    branches: state.branches,
    headId,
    onSelect: (turnId) => {
      closeDrawer();
      act(() => api.checkout(session.id, turnId));
    },
    setImage,
  });
  renderBranches($('branches'), {
    branches: state.branches,
    current: session.headRef,
    checkout: (name) => act(() => api.checkout(session.id, name)),
    rename: (name, to) => act(() => api.renameBranch(session.id, name, to)),
    remove: (name) => confirmDeleteBranch(name),
  });
  $('pinned-section').hidden = renderPinned($('pinned'), { turns: [...state.turns.values()], headId, checkout: (turnId) => act(() => api.checkout(session.id, turnId)) }) === 0;

  const head = state.turns.get(headId);
  $('undo').disabled = !head || head.parentId === null;
  $('redo').disabled = (session.redoStack ?? []).length === 0;
  const cost = $('session-cost');
  if (state.cost) {
    cost.textContent = `${dollars(state.cost.totalMicros)} total${state.cost.budgetMicros === null ? '' : ` of ${dollars(state.cost.budgetMicros)}`}`;
    cost.dataset.micros = String(state.cost.totalMicros);
    cost.hidden = false;
  }
}

/** Children of a turn, oldest first: the order of the "‹ 2/3 ›" switch. */
function childrenOf(turnId) {
  return [...state.turns.values()].filter((t) => t.parentId === turnId).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * The chat: the path from the first image to HEAD and, after it, the newest attempt from HEAD
 * when that one is still under way or ended badly. (A turn that fails moves HEAD back to its
 * parent; it stays in view so its reason and the retry button do.)
 */
function chatTurns(headId) {
  const path = [];
  for (let t = state.turns.get(headId); t; t = t.parentId ? state.turns.get(t.parentId) : undefined) path.unshift(t);
  const newest = headId ? childrenOf(headId).at(-1) : undefined;
  if (newest && (isUnfinished(newest) || endedBadly(newest))) path.push(newest);
  return path;
}

/** Where a turn stands among its parent's children that have a result, or may yet have one. */
function siblingsOf(turn) {
  if (turn.parentId === null || endedBadly(turn)) return { index: 0, count: 1 };
  const line = childrenOf(turn.parentId).filter((t) => !endedBadly(t));
  const index = line.findIndex((t) => t.id === turn.id);
  return { index, count: line.length, previous: line[index - 1]?.id, next: line[index + 1]?.id };
}

/** The end of a sibling's line, as ChatGPT shows it: down through the newest child each time. */
function tipOf(turnId) {
  let tip = turnId;
  for (;;) {
    const next = childrenOf(tip).filter((t) => !endedBadly(t)).at(-1);
    if (!next) return tip;
    tip = next.id;
  }
}

function renderChat(turns) {
  const chat = $('chat');
  // Follow the conversation unless the reader has scrolled up to look at something.
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
  const view = {
    features: state.features,
    compare: state.compare,
    setImage,
    onImageLoad: () => {
      if ($('chat').dataset.stick !== 'false') stickToBottom();
    },
    act: turnActions,
  };
  chat.replaceChildren(...turns.map((turn) => chatTurn(turn, { ...view, progress: state.progress.get(turn.id), siblings: siblingsOf(turn) })));
  if (atBottom || chat.dataset.stick !== 'false') stickToBottom();
}

function stickToBottom() {
  const chat = $('chat');
  chat.scrollTop = chat.scrollHeight;
}

function setImage(img, output) {
  imageSrc(output)
    .then((src) => {
      if (img.src !== new URL(src, location.href).href) img.src = src;
    })
    .catch(showError);
}

// ------------------------------------------------------------------ actions

/** Runs an API call that changes the session, then redraws from the server's state. */
async function act(call) {
  clearError();
  try {
    await call();
    await refresh();
  } catch (error) {
    showError(error);
  }
}

/** What a message's buttons do. */
const turnActions = {
  pick: (turn, index) => act(() => api.pick(state.session.id, turn.id, index)),
  cancel: (turn) => act(() => api.cancel(state.session.id, turn.id)),
  switchTo: (siblingId) => act(() => api.checkout(state.session.id, tipOf(siblingId))),
  retry: (turn) => act(() => api.edit(state.session.id, { prompt: turn.prompt, params: retryParams(turn.params), ...(turn.parentId ? { from: turn.parentId } : {}) })),
  pin: (turn) => act(() => (turn.pinned ? api.unpin(state.session.id, turn.id) : api.pin(state.session.id, turn.id))),
  fork: (turn) => forkFrom(turn),
  remove: (turn) => confirmDeleteSubtree(turn),
  compare: (turn) => chooseForCompare(turn),
};

/** The params an edit takes again (the turn's record also holds ones the server fills in itself). */
const EDIT_PARAMS = ['seed', 'guidance_scale', 'num_images', 'output_format', 'safety_tolerance', 'enhance_prompt', 'aspect_ratio', 'steps', 'width', 'height'];
function retryParams(params) {
  return Object.fromEntries(EDIT_PARAMS.filter((k) => params?.[k] !== undefined && params[k] !== null).map((k) => [k, params[k]]));
}

function editParams() {
  const params = { guidance_scale: Number($('guidance').value || 3.5), output_format: $('format').value, num_images: Number($('num-images').value) };
  const seed = $('seed').value.trim();
  if (seed !== '') params.seed = Number(seed);
  if ($('aspect').value) params.aspect_ratio = $('aspect').value;
  return params;
}

/** The turn with Esc's attention: the one in flight at the end of the chat. */
function cancelRunning() {
  const last = chatTurns(state.session?.headTurnId).at(-1);
  if (last && isUnfinished(last)) turnActions.cancel(last);
}

/** Opens a dialog and resolves with its return value ('ok' or 'cancel'). */
function ask(dialog) {
  return new Promise((resolve) => {
    dialog.returnValue = 'cancel';
    dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true });
    dialog.showModal();
  });
}

function descendantsOf(turnId) {
  let count = 0;
  for (const kid of childrenOf(turnId)) count += 1 + descendantsOf(kid.id);
  return count;
}

function branchesIn(turnId) {
  const inside = new Set([turnId]);
  const walk = (id) => childrenOf(id).forEach((kid) => (inside.add(kid.id), walk(kid.id)));
  walk(turnId);
  return state.branches.filter((b) => inside.has(b.turnId)).map((b) => b.name);
}

async function confirmDeleteSubtree(turn) {
  const after = descendantsOf(turn.id);
  const branches = branchesIn(turn.id);
  $('confirm-text').textContent = `Delete “${turn.prompt}”${after ? ` and the ${after} turn${after === 1 ? '' : 's'} after it` : ''}? This cannot be undone.`;
  $('confirm-option').hidden = branches.length === 0;
  $('confirm-check').checked = false;
  $('confirm-option-text').textContent = `also delete the branch${branches.length === 1 ? '' : 'es'} ${branches.join(', ')} (otherwise they move to the turn before)`;
  $('confirm-ok').textContent = 'Delete';
  if ((await ask($('confirm-dialog'))) !== 'ok') return;
  const deleteBranches = $('confirm-check').checked;
  if (state.compare.a === turn.id || state.compare.b === turn.id) state.compare = { ...state.compare, a: null, b: null };
  await act(() => api.deleteSubtree(state.session.id, turn.id, { branches: deleteBranches }));
}

async function confirmDeleteBranch(name) {
  $('confirm-text').textContent = `Delete the branch “${name}”? Its turns stay in the tree.`;
  $('confirm-option').hidden = true;
  $('confirm-check').checked = false;
  $('confirm-ok').textContent = 'Delete branch';
  if ((await ask($('confirm-dialog'))) !== 'ok') return;
  await act(() => api.deleteBranch(state.session.id, name));
}

async function forkFrom(turn) {
  $('fork-title').value = `${state.session.title || 'untitled'} (fork)`;
  $('fork-whole').checked = false;
  if ((await ask($('fork-dialog'))) !== 'ok') return;
  clearError();
  try {
    const created = await api.fork(state.session.id, turn.id, { whole: $('fork-whole').checked, title: $('fork-title').value.trim() });
    // The answer is a session document; take its id however it is wrapped.
    const id = created?.session?.id ?? created?.id;
    if (!id) throw new Error('the server did not say which session the fork made');
    await openSession(id);
  } catch (error) {
    showError(error);
  }
}

/** First choice is A, second is B and opens the comparison; choosing A again lets it go. */
function chooseForCompare(turn) {
  const { a } = state.compare;
  if (a === turn.id) state.compare = { ...state.compare, a: null, b: null };
  else if (!a) state.compare = { ...state.compare, a: turn.id, b: null };
  else {
    state.compare = { ...state.compare, b: turn.id };
    openCompare();
  }
  render();
}

function openCompare() {
  const a = state.turns.get(state.compare.a);
  const b = state.turns.get(state.compare.b);
  if (!a || !b) return;
  const draw = () => {
    $('compare-mode').textContent = state.compare.mode === 'slider' ? 'Side by side' : 'Slider';
    $('compare-mode').setAttribute('aria-pressed', String(state.compare.mode === 'side'));
    renderCompare($('compare-body'), { sessionId: state.session.id, a, b, diff: state.features.diff, mode: state.compare.mode, setImage });
  };
  $('compare-mode').onclick = () => {
    state.compare = { ...state.compare, mode: state.compare.mode === 'slider' ? 'side' : 'slider' };
    draw();
  };
  draw();
  const dialog = $('compare-dialog');
  dialog.addEventListener(
    'close',
    () => {
      state.compare = { ...state.compare, a: null, b: null };
      render();
    },
    { once: true },
  );
  dialog.showModal();
}

async function addAttachments(files) {
  const read = (file) =>
    new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve({ name: file.name, dataUrl: String(reader.result) });
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  state.attachments.push(...(await Promise.all([...files].map(read))));
  renderAttachments();
}

function renderAttachments() {
  const list = $('attachments');
  list.hidden = state.attachments.length === 0;
  list.replaceChildren(
    ...state.attachments.map((attachment, i) => {
      const item = el('li', 'attachment');
      const img = el('img');
      img.alt = attachment.name;
      img.src = attachment.dataUrl;
      const remove = el('button', 'icon', '×');
      remove.type = 'button';
      remove.title = `remove ${attachment.name}`;
      remove.setAttribute('aria-label', `remove ${attachment.name}`);
      remove.addEventListener('click', () => {
        state.attachments.splice(i, 1);
        renderAttachments();
      });
      item.append(img, remove);
      return item;
    }),
  );
}

function openDrawer() {
  document.body.dataset.drawer = 'open';
  $('drawer-backdrop').hidden = false;
  $('tree-toggle').setAttribute('aria-expanded', 'true');
}

function closeDrawer() {
  delete document.body.dataset.drawer;
  $('drawer-backdrop').hidden = true;
  $('tree-toggle').setAttribute('aria-expanded', 'false');
}

function bindControls() {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    setToken($('token').value.trim());
    main().catch(showError);
  });

  $('start-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    const file = $('upload-file').files[0];
    const url = $('image-url').value.trim();
    const prompt = $('start-prompt').value.trim();
    const title = $('new-title').value.trim() || file?.name || '';
    const button = $('start-session');
    button.disabled = true;
    try {
      const created = file ? await api.startFromFile(file, title) : url ? await api.startFromUrl(url, title) : prompt ? await api.startFromPrompt(prompt, title) : null;
      if (!created) return showError(new Error('choose an image file, paste an image URL or type a prompt'));
      $('start-form').reset();
      await openSession(created.session.id);
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  });

  $('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const prompt = $('prompt').value.trim();
    if (!prompt || !state.session) return;
    clearError();
    $('send').disabled = true;
    try {
      const references = state.attachments.map((a) => a.dataUrl);
      const turn = await api.edit(state.session.id, { prompt, params: editParams(), ...(references.length ? { references } : {}) });
      $('prompt').value = '';
      state.attachments = [];
      renderAttachments();
      if (!state.turns.has(turn.id)) state.turns.set(turn.id, turn);
      state.session.headTurnId = turn.id;
      render();
      await refresh();
    } catch (error) {
      showError(error);
    } finally {
      $('send').disabled = false;
      $('prompt').focus();
    }
  });
  $('prompt').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      $('composer').requestSubmit();
    }
  });

  // Only the reader's own scrolling decides whether the chat follows new turns; scroll events
  // from redraws and loading images would otherwise switch following off by accident.
  const noteReaderScroll = () =>
    requestAnimationFrame(() => {
      const chat = $('chat');
      chat.dataset.stick = String(chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40);
    });
  for (const type of ['wheel', 'touchmove', 'keyup', 'pointerup']) $('chat').addEventListener(type, noteReaderScroll, { passive: true });
  $('undo').addEventListener('click', () => act(() => api.undo(state.session.id)));
  $('redo').addEventListener('click', () => act(() => api.redo(state.session.id)));
  bindKeyboard({
    undo: () => state.session && !$('undo').disabled && act(() => api.undo(state.session.id)),
    redo: () => state.session && !$('redo').disabled && act(() => api.redo(state.session.id)),
    cancel: () => state.session && cancelRunning(),
    dialogOpen: () => document.querySelector('dialog[open]') !== null,
  });
  $('tree-toggle').addEventListener('click', () => (document.body.dataset.drawer === 'open' ? closeDrawer() : openDrawer()));
  $('drawer-backdrop').addEventListener('click', closeDrawer);
  $('drawer-close').addEventListener('click', closeDrawer);
  $('attach').addEventListener('click', () => $('reference-files').click());
  $('reference-files').addEventListener('change', () => {
    const files = $('reference-files').files;
    addAttachments(files)
      .catch(showError)
      .finally(() => ($('reference-files').value = ''));
  });
  $('compare-close').addEventListener('click', () => $('compare-dialog').close());
  $('branch-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = $('branch-name').value.trim();
    const id = state.session.id;
    // Naming the branch HEAD is on, and moving onto it: later edits then advance it.
    act(async () => {
      await api.createBranch(id, name);
      await api.checkout(id, name);
      $('branch-name').value = '';
    });
  });
  $('new-session').addEventListener('click', () => showStart());
  $('export').addEventListener('click', async () => {
    try {
      const blob = await api.exportBundle(state.session.id);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `${state.session.id}.kontext.tgz`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      showError(error);
    }
  });
}

function showError(error) {
  const status = $('status');
  status.textContent = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error.message ?? error);
  status.hidden = false;
  if (error instanceof ApiError && error.status === 401) {
    setToken('');
    showTokenPanel();
  }
}

function clearError() {
  $('status').hidden = true;
  $('status').textContent = '';
}

main().catch(showError);

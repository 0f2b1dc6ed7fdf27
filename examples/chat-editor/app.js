// The chat editor: a conversation with a picture. The chat column shows the path from the
// first image to HEAD; the tree beside it shows every turn, so any of them can be continued
// from. All state lives on the server: the page redraws from /tree after every change and
// follows the session's server-sent events for live progress.

import { api, ApiError, followEvents, getToken, imageSrc, setToken } from './api.js';
import { renderTree } from './tree.js';

const $ = (id) => document.getElementById(id);

const state = {
  session: null,
  turns: new Map(),
  branches: [],
  cost: null,
  /** Live progress per turn id, from events: { queued?: number, logs: string[] } */
  progress: new Map(),
  events: null,
  refreshing: null,
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
  for (const id of ['token-panel', 'start', 'workspace', 'session-cost', 'export', 'new-session']) $(id).hidden = true;
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
  await refresh();
  const controller = new AbortController();
  state.events = controller;
  // Each (re)connection reloads the tree: covers whatever happened while the stream was down.
  followEvents(`/sessions/${id}/events`, { signal: controller.signal, onEvent, onOpen: () => refresh() }).catch(showError);
}

function closeEvents() {
  state.events?.abort();
  state.events = null;
}

/** Reloads tree and cost; calls made while one is under way coalesce into one more. */
async function refresh() {
  if (state.refreshing) {
    state.refreshAgain = true;
    return state.refreshing;
  }
  const id = state.session?.id;
  if (!id) return;
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
  if (type === 'turn.queued') progress.queued = data.position;
  if (type === 'turn.running') {
    progress.queued = undefined;
    progress.logs.push(...(data.logs ?? []).map((l) => l.message));
  }
  const turn = state.turns.get(data.turnId);
  if (turn && data.status && type.startsWith('turn.')) turn.status = data.status;
  render();
  // Anything that changes the tree's shape or a turn's images: ask the server for the truth.
  if (type === 'turn.created' || type === 'head.moved' || type === 'turn.succeeded' || type === 'turn.failed' || type === 'turn.cancelled') {
    refresh().catch(showError);
  }
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

  renderChat(pathTo(headId));
  renderTree($('tree'), {
    turns: [...state.turns.values()],
    branches: state.branches,
    headId,
    onSelect: (turnId) => act(() => api.checkout(session.id, turnId)),
    setImage,
  });
  renderBranches();

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

function pathTo(turnId) {
  const path = [];
  for (let t = state.turns.get(turnId); t; t = t.parentId ? state.turns.get(t.parentId) : undefined) path.unshift(t);
  return path;
}

function renderChat(path) {
  const chat = $('chat');
  // Follow the conversation unless the reader has scrolled up to look at something.
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
  chat.replaceChildren(...path.map(chatTurn));
  if (atBottom || chat.dataset.stick !== 'false') stickToBottom();
}

function stickToBottom() {
  const chat = $('chat');
  chat.scrollTop = chat.scrollHeight;
}

function chatTurn(turn) {
  const item = document.createElement('li');
  item.className = 'turn';
  item.dataset.turnId = turn.id;
  item.dataset.status = turn.status;

  const prompt = document.createElement('p');
  prompt.className = 'prompt';
  prompt.textContent = turn.kind === 'source' ? 'Start from this image' : turn.prompt;
  item.append(prompt);

  const reply = document.createElement('div');
  reply.className = 'reply';
  item.append(reply);

  const progress = state.progress.get(turn.id);
  if (['pending', 'submitted', 'running'].includes(turn.status)) {
    const line = document.createElement('p');
    line.className = 'progress';
    line.textContent = progress?.queued !== undefined ? `queued (position ${progress.queued})…` : `${turn.status}…`;
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'cancel';
    cancel.textContent = 'Cancel';
    cancel.addEventListener('click', () => act(() => api.cancel(state.session.id, turn.id)));
    line.append(' ', cancel);
    reply.append(line);
  }
  if (progress?.logs.length) {
    const details = document.createElement('details');
    details.className = 'logs';
    details.open = !['succeeded', 'failed', 'cancelled'].includes(turn.status);
    const summary = document.createElement('summary');
    summary.textContent = `log (${progress.logs.length} lines)`;
    const logs = document.createElement('pre');
    logs.textContent = progress.logs.join('\n');
    details.append(summary, logs);
    reply.append(details);
  }
  if (turn.status === 'failed' || turn.status === 'cancelled') {
    const error = document.createElement('p');
    error.className = 'error';
    error.textContent = turn.error ? `${turn.error.code}: ${turn.error.message}` : turn.status;
    reply.append(error);
  }
  if (turn.outputs.length > 0) {
    const candidates = document.createElement('div');
    candidates.className = `candidates count-${turn.outputs.length}`;
    for (const output of turn.outputs) {
      const img = document.createElement('img');
      img.className = 'candidate';
      img.alt = `${turn.kind === 'source' ? 'starting image' : turn.prompt} (${output.width}×${output.height})`;
      img.dataset.hash = output.hash;
      img.dataset.index = String(output.index);
      img.dataset.selected = String(output.index === turn.selectedOutput);
      // Reserve the image's box before it loads, so redraws do not collapse and jump the chat.
      if (output.width && output.height) {
        img.width = output.width;
        img.height = output.height;
      }
      if (turn.outputs.length > 1) {
        img.title = 'continue from this one';
        img.addEventListener('click', () => act(() => api.pick(state.session.id, turn.id, output.index)));
      }
      img.addEventListener('load', () => {
        if ($('chat').dataset.stick !== 'false') stickToBottom();
      });
      setImage(img, output);
      candidates.append(img);
    }
    reply.append(candidates);
  }
  if (turn.outputs.length > 1) {
    const hint = document.createElement('p');
    hint.className = 'meta';
    hint.textContent = `${turn.outputs.length} candidates: click one to continue from it`;
    reply.append(hint);
  }
  // Seed and price are only final once the turn has ended.
  if (turn.kind !== 'source' && ['succeeded', 'failed', 'cancelled'].includes(turn.status)) {
    const meta = document.createElement('p');
    meta.className = 'meta';
    const seed = turn.seedUsed ?? turn.seedRequested;
    meta.append(`seed ${seed ?? '–'} · `);
    const cost = document.createElement('span');
    cost.className = 'turn-cost';
    cost.dataset.micros = String(turn.costMicros);
    cost.textContent = dollars(turn.costMicros);
    meta.append(cost);
    const drift = turn.drift?.root ?? turn.drift?.parent;
    if (drift) {
      const badge = document.createElement('span');
      badge.className = 'drift-badge';
      // The default thresholds of a session's drift warning (SSIM 0.9, ΔE 5).
      if (drift.ssim < 0.9 || drift.deltaE > 5) badge.dataset.warn = 'true';
      badge.title = 'drift from the source image outside the edited region';
      badge.textContent = `drift SSIM ${drift.ssim.toFixed(3)} ΔE ${drift.deltaE.toFixed(1)}`;
      meta.append(' · ', badge);
    }
    if (turn.sizes?.mismatch) {
      const size = document.createElement('span');
      size.className = 'size-badge';
      const { output, source } = turn.sizes;
      size.textContent = turn.sizes.resizedToSource ? 'resized back to the source size' : `size changed: ${source?.width}×${source?.height} → ${output?.width}×${output?.height}`;
      meta.append(' · ', size);
    }
    reply.append(meta);
  }
  return item;
}

function renderBranches() {
  const list = $('branches');
  list.replaceChildren(
    ...state.branches.map((branch) => {
      const item = document.createElement('li');
      item.dataset.branch = branch.name;
      if (state.session.headRef === branch.name) item.dataset.current = 'true';
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = branch.name;
      button.addEventListener('click', () => act(() => api.checkout(state.session.id, branch.name)));
      item.append(button);
      return item;
    }),
  );
}

function setImage(img, output) {
  imageSrc(output)
    .then((src) => {
      if (img.src !== new URL(src, location.href).href) img.src = src;
    })
    .catch(showError);
}

function dollars(micros) {
  return `$${(micros / 1e6).toFixed(4)}`;
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

function editParams() {
  const params = { guidance_scale: Number($('guidance').value || 3.5), output_format: $('format').value, num_images: Number($('num-images').value) };
  const seed = $('seed').value.trim();
  if (seed !== '') params.seed = Number(seed);
  if ($('aspect').value) params.aspect_ratio = $('aspect').value;
  return params;
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
      const turn = await api.edit(state.session.id, { prompt, params: editParams() });
      $('prompt').value = '';
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

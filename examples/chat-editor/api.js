// The kontext-sessions HTTP API, as the page uses it. Everything goes through fetch so a
// bearer token can ride along; that is also why events are read from a streamed fetch rather
// than EventSource (which cannot send headers) and images become blob: URLs when a token is set.

const TOKEN_KEY = 'kontext.token';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'HTTP';
    this.details = body?.error?.details ?? {};
  }
}

export function getToken() {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(token) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

function authHeaders() {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Calls the API; JSON in and out; throws ApiError with the server's code and message. */
export async function call(method, path, body, init = {}) {
  const headers = { ...authHeaders(), ...(init.headers ?? {}) };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData) && !(body instanceof Blob)) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, signal: init.signal });
  if (res.status === 204) return null;
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const api = {
  health: () => call('GET', '/health'),
  sessions: () => call('GET', '/sessions'),
  startFromFile: (file, title) => {
    const form = new FormData();
    form.append('image', file);
    if (title) form.append('title', title);
    return call('POST', '/sessions', form);
  },
  startFromUrl: (url, title) => call('POST', '/sessions', { image_url: url, ...(title ? { title } : {}) }),
  startFromPrompt: (prompt, title) => call('POST', '/sessions', { prompt, ...(title ? { title } : {}) }),
  tree: (id) => call('GET', `/sessions/${id}/tree`),
  cost: (id) => call('GET', `/sessions/${id}/cost`),
  turn: (id, turn) => call('GET', `/sessions/${id}/turns/${turn}`),
  edit: (id, body) => call('POST', `/sessions/${id}/turns`, body),
  pick: (id, turn, index) => call('POST', `/sessions/${id}/turns/${turn}/pick`, { index }),
  cancel: (id, turn) => call('POST', `/sessions/${id}/turns/${turn}/cancel`),
  undo: (id) => call('POST', `/sessions/${id}/undo`),
  redo: (id) => call('POST', `/sessions/${id}/redo`),
  checkout: (id, ref) => call('POST', `/sessions/${id}/checkout`, { ref }),
  createBranch: (id, name, at) => call('POST', `/sessions/${id}/branches`, { name, ...(at ? { at } : {}) }),
  renameBranch: (id, name, to) => call('PATCH', `/sessions/${id}/branches/${encodeBranch(name)}`, { name: to }),
  deleteBranch: (id, name) => call('DELETE', `/sessions/${id}/branches/${encodeBranch(name)}`),
  deleteSubtree: (id, turn, { branches = false } = {}) => call('DELETE', `/sessions/${id}/turns/${turn}${branches ? '?branches=true' : ''}`),
  fork: (id, turn, { whole = false, title } = {}) => call('POST', `/sessions/${id}/fork`, { turn, ...(whole ? { whole } : {}), ...(title ? { title } : {}) }),
  pin: (id, turn) => call('PUT', `/sessions/${id}/turns/${turn}/pin`),
  unpin: (id, turn) => call('DELETE', `/sessions/${id}/turns/${turn}/pin`),
  openapi: () => call('GET', '/openapi.json'),
  exportBundle: async (id) => {
    const res = await fetch(`/sessions/${id}/export`, { headers: authHeaders() });
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    return res.blob();
  },
};

/** Branch names may hold '/', which the route takes as the rest of the path: each segment is encoded on its own. */
function encodeBranch(name) {
  return name.split('/').map(encodeURIComponent).join('/');
}

/**
 * Whether the server has a route at `path`, asked without side effects: OPTIONS is answered by
 * no route, so the server says 405 (with Allow) where the path exists and 404 where it does not.
 */
export async function routeExists(path) {
  const res = await fetch(path, { method: 'OPTIONS', headers: authHeaders() });
  return res.status !== 404;
}

const blobUrls = new Map();

/** A URL an <img> can load: the API path itself, or (with a token) a blob: URL of the fetched bytes. */
export async function imageSrc(output) {
  if (!getToken() || !output.url.startsWith('/')) return output.url;
  const key = output.hash ?? output.url;
  let pending = blobUrls.get(key);
  if (!pending) {
    pending = fetch(output.url, { headers: authHeaders() }).then(async (res) => {
      if (!res.ok) throw new ApiError(res.status, null);
      return URL.createObjectURL(await res.blob());
    });
    blobUrls.set(key, pending);
    pending.catch(() => blobUrls.delete(key));
  }
  return pending;
}

/**
 * An id from no server's numbering: resuming from it replays all the events the server still
 * holds for the session (the server treats an id of another epoch as "from the start"). A
 * page opened while a turn waits or runs learns its queue position and log lines that way.
 */
const FROM_THE_START = 'page.0';

/**
 * Follows a session's server-sent events until `signal` aborts, reconnecting after a drop
 * with Last-Event-ID so no event is lost. `onOpen` runs on every (re)connection: the page
 * reloads the tree then, to cover anything that happened while it was away. With `replay`,
 * the first connection starts with the events the server still holds.
 */
export async function followEvents(path, { signal, onEvent, onOpen, replay = false }) {
  let lastEventId = replay ? FROM_THE_START : '';
  let retryMs = 1000;
  while (!signal.aborted) {
    try {
      const headers = { accept: 'text/event-stream', ...authHeaders(), ...(lastEventId ? { 'last-event-id': lastEventId } : {}) };
      const res = await fetch(path, { headers, signal, cache: 'no-store' });
      if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
      await onOpen?.();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          const message = parseBlock(block);
          if (message.retry) retryMs = message.retry;
          if (message.id) lastEventId = message.id;
          if (message.data !== undefined) onEvent({ type: message.event ?? 'message', id: message.id, data: JSON.parse(message.data) });
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

function parseBlock(block) {
  const message = {};
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') message.event = value;
    else if (field === 'id') message.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) message.retry = Number(value);
  }
  if (data.length > 0) message.data = data.join('\n');
  return message;
}

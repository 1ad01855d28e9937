// The console's helpers: building elements (text only: nothing received from
// the daemon is ever parsed as HTML), the API client (the session cookie plus
// the CSRF token held in memory) and live streams.

let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

// h('tag', {attrs, on: {event: fn}}, ...children): strings become text nodes.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') {
      for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    } else if (k === 'class') {
      el.className = v;
    } else if (k === 'value') {
      el.value = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function status(text, isError) {
  const el = document.getElementById('status');
  el.textContent = text || '';
  el.className = isError ? 'error' : '';
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? `${body.error}: ${body.message}` : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
  }
}

// A JSON request to the local API. State-changing requests carry the CSRF
// token; 401 means the session ended (the app shows the login page).
export async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf || '';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, json);
    if (resp.status === 401) window.dispatchEvent(new CustomEvent('am-logged-out'));
    throw err;
  }
  return json === null ? text : json;
}

// Prometheus text -> [{name, labels: {k: v}, value}].
export async function metrics() {
  const text = await api('GET', '/metrics');
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const lm of (m[3] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    out.push({name: m[1], labels, value: Number(m[4])});
  }
  return out;
}

export function sum(samples, name) {
  return samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
}

// An EventSource on `path` (same origin: the session cookie goes with it).
// `handlers`: {eventName: fn(data)}. Returns a close function.
export function stream(path, handlers) {
  const es = new EventSource(path);
  for (const [ev, fn] of Object.entries(handlers)) {
    es.addEventListener(ev, (e) => {
      let data = null;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      fn(data, e);
    });
  }
  return () => es.close();
}

// Calls `flush(items)` at most once per animation frame with what arrived
// since: a fast stream costs one DOM update per frame, not one per event.
export function batcher(flush) {
  let pending = [];
  let scheduled = false;
  return (item) => {
    pending.push(item);
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      const items = pending;
      pending = [];
      scheduled = false;
      flush(items);
    });
  };
}

// One formatter for every time shown: toLocaleString() builds a new one per call.
const dateTime = new Intl.DateTimeFormat(undefined, {dateStyle: 'short', timeStyle: 'medium', hour12: false});

export function time(ms) {
  return ms ? dateTime.format(ms) : '';
}

export function short(id) {
  return id && id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id || '';
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

// A table: columns [{label, cell(row) -> node|string, narrow: false hides on phones}].
export function table(columns, rows, caption) {
  return h('div', {class: 'scroll'}, h('table', {},
      caption ? h('caption', {class: 'muted'}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col', class: c.narrow === false ? 'hide-narrow' : null}, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', {class: c.narrow === false ? 'hide-narrow' : null}, c.cell(r))))))));
}

// A labelled form control.
export function field(label, control) {
  return h('label', {}, label, control);
}

// Runs an action from a button or form, showing its error in the status line.
export async function act(fn, done) {
  try {
    status('');
    const r = await fn();
    if (done) status(done);
    return r;
  } catch (e) {
    status(e.message, true);
    return undefined;
  }
}

// A select of this daemon's agents, `current` (a name or id) selected;
// `onPick(name)` on change. `ready`: the agents, once listed (a failure is
// shown in the status line when it is awaited through act()).
export function agentPicker(id, current, onPick) {
  const sel = h('select', {id, on: {change: () => onPick(sel.value)}});
  const ready = api('GET', '/v1/agents').then(({agents}) => {
    sel.append(h('option', {value: ''}, '(choose)'),
        ...agents.map((a) => h('option', {value: a.name, selected: a.name === current || a.agent_id === current}, a.name)));
    return agents;
  });
  ready.catch(() => {});  // a picker nobody awaits stays empty rather than failing unhandled
  return {sel, ready};
}

export function enc(s) {
  return encodeURIComponent(s);
}

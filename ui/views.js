// The console's views of this daemon: overview, agents, an agent's inbox,
// diagnostics and dead letters. Each view renders into `root` and returns
// its cleanup (streams and timers stop when the view is left).

import {act, agentPicker, api, batcher, clear, enc, field, h, metrics, short, status, stream, sum, table, time} from './dom.js';

const WINDOW_S = 15 * 60;
const SAMPLE_MS = 2000;
// The newest rows a live inbox keeps on screen: each frame that adds rows lays
// the table out again, so this bounds a frame's work during a burst (at 500
// rows a 1,000 msgs/s burst drew about 30 frames a second, at 100 about 55).
const MAX_ROWS = 100;

// Rates per second over the last 15 minutes: the daemon's history (one point per
// 5 s, GET /v1/diagnostics/rates) when the overview opens, then a point per
// SAMPLE_MS from /metrics while it stays open.
const KEYS = ['accepted', 'delivered', 'published'];
const rateSeries = {t: [], accepted: [], delivered: [], published: [], last: null};

function seedRates(history) {
  rateSeries.t = history.points.map((p) => p.time_ms / 1000);
  for (const k of KEYS) rateSeries[k] = history.points.map((p) => p[k]);
  rateSeries.last = null;  // the next /metrics sample is a baseline, not a point spanning the gap
}

function recordRates(samples) {
  const now = Date.now() / 1000;
  const totals = {
    accepted: sum(samples, 'agentmesh_messages_accepted_total'),
    delivered: sum(samples, 'agentmesh_sse_events_total') + sum(samples, 'agentmesh_ws_messages_total'),
    published: sum(samples, 'agentmesh_topic_messages_published_total'),
  };
  const last = rateSeries.last;
  rateSeries.last = {now, totals};
  if (!last) return;
  const dt = Math.max(now - last.now, 0.001);
  rateSeries.t.push(now);
  for (const k of KEYS) rateSeries[k].push(Math.max(0, (totals[k] - last.totals[k]) / dt));
  while (rateSeries.t.length && rateSeries.t[0] < now - WINDOW_S) {
    for (const k of ['t', ...KEYS]) rateSeries[k].shift();
  }
}

// AutoNAT's verdict (GET /v1/node, `reachability`) and the relays that carry
// this daemon when others cannot dial it: [value, detail, class].
function reachability(node, peers) {
  const state = (node.reachability && node.reachability.state) || 'unknown';
  const relays = (node.relay_addrs || []).length;
  if (state === 'public') return ['public', 'other daemons dial it directly', 'state-ok'];
  if (state === 'private') {
    return relays ? ['private', `reached through ${relays} relay address${relays === 1 ? '' : 'es'}`, 'state-ok']
      : ['private', 'not dialable and no relay reservation: only outgoing connections', 'state-degraded'];
  }
  if (!peers) return ['unknown', 'no peers connected', 'state-degraded'];
  return ['unknown', `${peers} peer${peers === 1 ? '' : 's'} connected; no AutoNAT answer yet`, ''];
}

function chart(title, key, color) {
  const box = h('div', {class: 'card'}, h('h3', {}, `${title} per second`));
  const width = () => Math.max(240, box.clientWidth - 24);
  const plot = typeof uPlot === 'function' ? new uPlot({
    width: 280, height: 120, legend: {show: false}, cursor: {show: false},
    scales: {x: {time: true}},
    axes: [{size: 24}, {size: 40}],
    series: [{}, {label: title, stroke: color, width: 2, fill: `${color}22`}],
  }, [[], []], box) : null;
  return {
    box,
    update() {
      if (!plot) return;
      if (Math.abs(plot.width - width()) > 4) plot.setSize({width: width(), height: 120});
      plot.setData([rateSeries.t, rateSeries[key]]);
      box.dataset.points = String(rateSeries.t.length);
      box.dataset.first = String(rateSeries.t.length ? rateSeries.t[0] : '');
    },
    label() {
      const v = rateSeries[key];
      return v.length ? v[v.length - 1].toFixed(1) : '…';
    },
  };
}

function reachabilityCard([value, detail, cls]) {
  return h('div', {class: 'card', id: 'reachability'}, h('h3', {}, 'Reachability'), h('div', {class: `big ${cls}`}, value),
      h('div', {class: 'muted'}, detail));
}

function queueRows(samples) {
  const rows = new Map();
  for (const s of samples) {
    const q = s.labels.queue;
    if (!q || !s.name.startsWith('agentmesh_queue_')) continue;
    const r = rows.get(q) || {queue: q, depth: 0, capacity: 0, max_depth: 0, dropped: 0};
    const key = s.name.slice('agentmesh_queue_'.length).replace('_total', '');
    if (key in r) r[key] = s.value;
    rows.set(q, r);
  }
  return [...rows.values()].sort((a, b) => a.queue.localeCompare(b.queue));
}

function fillBar(depth, capacity) {
  const pct = capacity ? Math.min(100, (100 * depth) / capacity) : 0;
  const bar = h('div', {class: pct > 80 ? 'bar hot' : 'bar', role: 'meter', 'aria-valuemin': 0,
    'aria-valuemax': 100, 'aria-valuenow': Math.round(pct), 'aria-label': 'fill'});
  const span = h('span');
  span.style.width = `${pct}%`;
  bar.append(span);
  return bar;
}

export function queuesTable(samples) {
  return table([
    {label: 'queue', cell: (r) => r.queue},
    {label: 'depth', cell: (r) => `${r.depth} / ${r.capacity || '∞'}`},
    {label: 'fill', cell: (r) => fillBar(r.depth, r.capacity)},
    {label: 'max', cell: (r) => String(r.max_depth), narrow: false},
    {label: 'dropped', cell: (r) => (r.dropped ? h('strong', {class: 'state-degraded'}, String(r.dropped)) : '0')},
  ], queueRows(samples));
}

export function overviewView(root) {
  const cards = h('div', {class: 'cards'});
  const charts = [chart('Accepted', 'accepted', '#2458d6'), chart('Delivered', 'delivered', '#15803d'),
    chart('Published', 'published', '#b45309')];
  const components = h('div');
  const queues = h('div');
  root.append(h('h1', {}, 'Overview'), cards, h('h2', {}, 'Rates (last 15 minutes)'),
      h('div', {class: 'charts'}, charts.map((c) => c.box)), h('h2', {}, 'Components'), components,
      h('h2', {}, 'Queues'), queues);
  let stopped = false;
  const seeded = api('GET', '/v1/diagnostics/rates').then((history) => {
    if (stopped) return;
    seedRates(history);
    for (const c of charts) c.update();
  }).catch((e) => status(e.message, true));
  async function refresh() {
    try {
      const pending = metrics();
      pending.catch(() => {});  // awaited below; this only keeps an early failure from going unhandled
      const [health, node, peers] = await Promise.all([
        api('GET', '/v1/health').catch((e) => ({status: 'unhealthy', components: {}, error: e.message})),
        api('GET', '/v1/node'), api('GET', '/v1/peers')]);
      if (stopped) return;
      const card = (title, value, cls) => h('div', {class: 'card'}, h('h3', {}, title), h('div', {class: `big ${cls || ''}`}, value));
      clear(cards).append(
          card('Health', health.status, `state-${health.status}`),
          card('Version', health.version || ''),
          card('Uptime', `${Math.floor((health.uptime_s || 0) / 60)} min`),
          card('Peers connected', String(peers.peers.length)),
          reachabilityCard(reachability(node, peers.peers.length)),
          h('div', {class: 'card'}, h('h3', {}, 'Peer id'), h('div', {class: 'mono'}, node.peer_id),
              h('div', {class: 'mono muted'}, (node.listen_addrs || []).join(' '))));
      clear(components).append(table([
        {label: 'component', cell: ([k]) => k},
        {label: 'status', cell: ([, v]) => h('span', {class: `state-${v.status}`}, v.status)},
        {label: 'detail', cell: ([, v]) => v.detail},
      ], Object.entries(health.components || {})));
      for (const tr of components.querySelectorAll('tbody tr')) {
        if (!tr.textContent.includes('ok')) tr.classList.add('warn');
      }
      const samples = await pending;
      await seeded;
      if (stopped) return;
      recordRates(samples);
      for (const c of charts) c.update();
      clear(queues).append(queuesTable(samples));
    } catch (e) {
      status(e.message, true);
    }
  }
  refresh();
  const timer = setInterval(refresh, SAMPLE_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

function tokenBox(agent) {
  const token = h('code', {class: 'mono'}, agent.token);
  return h('div', {class: 'secret', role: 'alert'},
      h('p', {}, `Token for ${agent.name} (shown once, keep it now):`), token, ' ',
      h('button', {type: 'button', on: {click: () => act(() => navigator.clipboard.writeText(agent.token), 'Copied.')}}, 'Copy'));
}

export function agentsView(root) {
  const name = h('input', {id: 'new-agent-name', required: true, pattern: '[a-z0-9._\\-]{1,64}', autocomplete: 'off'});
  const caps = h('input', {id: 'new-agent-caps', placeholder: 'summarize, translate', autocomplete: 'off'});
  const display = h('input', {id: 'new-agent-display', autocomplete: 'off'});
  const secret = h('div');
  const list = h('div');
  const form = h('form', {'aria-label': 'Create an agent', on: {submit: async (e) => {
    e.preventDefault();
    const body = {name: name.value.trim(), capabilities: splitCaps(caps.value)};
    if (display.value.trim()) body.display_name = display.value.trim();
    const agent = await act(() => api('POST', '/v1/agents', body), `Created ${body.name}.`);
    if (!agent) return;
    clear(secret).append(tokenBox(agent));
    form.reset();
    load();
  }}}, field('Name', name), field('Capabilities', caps), field('Display name', display),
  h('button', {type: 'submit', class: 'primary'}, 'Create agent'));
  root.append(h('h1', {}, 'Agents'), form, secret, list);

  async function load() {
    const [agents, dir] = await Promise.all([api('GET', '/v1/agents'), api('GET', '/v1/directory')]);
    const presence = new Map(dir.agents.map((a) => [a.agent_id, a.presence]));
    clear(list).append(table([
      {label: 'name', cell: (a) => h('a', {href: `#/inbox/${enc(a.name)}`}, a.name)},
      {label: 'id', cell: (a) => h('span', {class: 'mono', title: a.agent_id}, short(a.agent_id)), narrow: false},
      {label: 'state', cell: (a) => stateSelect(a)},
      {label: 'online', cell: (a) => presence.get(a.agent_id) || (a.state === 'running' ? 'online' : 'offline')},
      {label: 'capabilities', cell: (a) => capsEditor(a)},
      {label: 'inbox', cell: (a) => `${a.last_seq - a.acked_seq} queued`},
      {label: 'unacked', cell: (a) => String(a.unacked), narrow: false},
      {label: '', cell: (a) => h('button', {type: 'button', class: 'danger', 'aria-label': `Delete ${a.name}`,
        on: {click: () => remove(a)}}, 'Delete')},
    ], agents.agents));
  }
  function stateSelect(a) {
    const sel = h('select', {'aria-label': `State of ${a.name}`, on: {change: () =>
      act(() => api('PATCH', `/v1/agents/${enc(a.agent_id)}`, {state: sel.value}), `${a.name} is ${sel.value}.`).then(load)}},
    ['running', 'draining', 'stopped'].map((s) => h('option', {value: s, selected: s === a.state}, s)));
    return sel;
  }
  function capsEditor(a) {
    const input = h('input', {value: a.capabilities.join(', '), 'aria-label': `Capabilities of ${a.name}`});
    return h('span', {}, input, ' ', h('button', {type: 'button', on: {click: () =>
      act(() => api('PATCH', `/v1/agents/${enc(a.agent_id)}`, {capabilities: splitCaps(input.value)}), 'Saved.').then(load)}},
    'Save'));
  }
  async function remove(a) {
    if (!confirm(`Delete ${a.name}? Its unacknowledged messages become dead letters.`)) return;
    await act(() => api('DELETE', `/v1/agents/${enc(a.agent_id)}`), `Deleted ${a.name}.`);
    load();
  }
  act(load);
  return null;
}

function splitCaps(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

export function renderBody(m) {
  if (m.task_event) return h('span', {class: 'muted'}, `task ${short(m.task_event.task_id)}: ${m.task_event.kind} → ${m.task_event.state}`);
  if (m.body === undefined) return h('span', {class: 'muted'}, `${m.content_type || 'bytes'} (base64, ${m.body_base64.length} chars)`);
  if ((m.content_type || '').startsWith('application/json')) {
    try {
      return h('pre', {class: 'msg-body mono'}, JSON.stringify(JSON.parse(m.body), null, 2));
    } catch {
      // Shown as sent.
    }
  }
  return h('div', {class: 'msg-body'}, m.body);
}

// A message's details (FIPA fields, path, ids, metadata), built when first opened:
// a fast inbox renders one summary element per row, not the whole detail.
function detailsOf(m) {
  const details = h('details', {}, h('summary', {}, 'details'));
  details.addEventListener('toggle', () => {
    if (details.childElementCount > 1) return;
    const fipa = ['performative', 'conversation_id', 'reply_with', 'in_reply_to', 'protocol', 'path']
        .filter((k) => m[k]).map((k) => h('div', {}, `${k}: `, h('span', {class: 'mono'}, m[k])));
    details.append(h('div', {}, h('div', {class: 'mono'}, `request_id: ${m.request_id}`), ...fipa,
        m.metadata ? h('div', {}, `metadata: ${JSON.stringify(m.metadata)}`) : ''));
  });
  return details;
}

function messageRow(m, acked, onAck) {
  return h('tr', {'data-seq': m.seq, class: acked ? 'muted' : null},
      h('td', {}, String(m.seq)),
      h('td', {class: 'hide-narrow'}, time(m.received_ms)),
      h('td', {}, h('span', {class: 'mono', title: m.from}, short(m.from))),
      h('td', {}, m.performative || ''),
      h('td', {}, renderBody(m), detailsOf(m)),
      h('td', {class: 'nowrap'}, acked ? 'acked' : h('button', {type: 'button', 'aria-label': `Ack up to ${m.seq}`,
        on: {click: () => onAck(m.seq)}}, 'Ack up to here')));
}

export function inboxView(root, [agentRef]) {
  const {sel, ready} = agentPicker('inbox-agent', agentRef, (v) => {
    location.hash = `#/inbox/${enc(v)}`;
  });
  root.append(h('h1', {}, 'Inbox'), h('form', {on: {submit: (e) => e.preventDefault()}}, field('Agent', sel)));
  let close = () => {};
  let left = false;  // the view was left before the agents arrived: open nothing
  act(async () => {
    const agents = await ready;
    const agent = agents.find((a) => a.name === agentRef || a.agent_id === agentRef);
    if (agent && !left) close = openInbox(root, agent);
  });
  return () => {
    left = true;
    close();
  };
}

function sendForm(agent) {
  const to = h('input', {id: 'send-to', required: true, list: 'send-to-list', autocomplete: 'off'});
  const options = h('datalist', {id: 'send-to-list'});
  const body = h('textarea', {id: 'send-body', required: true});
  const isJson = h('input', {type: 'checkbox', id: 'send-json'});
  const perf = h('select', {id: 'send-performative'}, ['', 'inform', 'request', 'query-if', 'propose', 'agree', 'refuse', 'failure']
      .map((p) => h('option', {value: p}, p || '(none)')));
  const conv = h('input', {id: 'send-conversation', autocomplete: 'off'});
  api('GET', '/v1/directory').then((dir) => {
    for (const a of dir.agents) options.append(h('option', {value: a.agent_id}, `${a.display_name || ''} ${a.capabilities.join(' ')}`));
  }).catch(() => {});
  api('GET', '/v1/agents').then(({agents}) => {
    for (const a of agents) options.append(h('option', {value: a.name}, 'local'));
  }).catch(() => {});
  const form = h('form', {'aria-label': `Send as ${agent.name}`, on: {submit: async (e) => {
    e.preventDefault();
    const msg = {to: to.value.trim(), body: body.value};
    if (isJson.checked) {
      try {
        JSON.parse(body.value);
      } catch {
        status('The body is not valid JSON.', true);
        return;
      }
      msg.content_type = 'application/json';
    }
    if (perf.value) msg.performative = perf.value;
    if (conv.value.trim()) msg.conversation_id = conv.value.trim();
    const r = await act(() => api('POST', `/v1/agents/${enc(agent.agent_id)}/messages`, msg));
    if (r) status(`Sent: ${r.state}${r.seq ? ` (seq ${r.seq})` : ''}, request ${short(r.request_id)}.`);
    if (r) body.value = '';
  }}}, field('To (name or agent id)', to), options, field('Body', body), field('JSON', isJson),
  field('Performative', perf), field('Conversation', conv), h('button', {type: 'submit', class: 'primary'}, `Send as ${agent.name}`));
  return form;
}

function openInbox(root, agent) {
  const tbody = h('tbody', {id: 'inbox-rows'});
  const counter = h('p', {class: 'muted', id: 'inbox-count'});
  root.append(h('h2', {}, `Send as ${agent.name}`), sendForm(agent), h('h2', {}, `${agent.name}'s inbox (live)`), counter,
      h('div', {class: 'scroll inbox-scroll'}, h('table', {class: 'inbox'}, h('thead', {}, h('tr', {},
          ['seq', 'received', 'from', 'performative', 'message', ''].map((c, i) => h('th', {scope: 'col', class: i === 1 ? 'hide-narrow' : null}, c)))), tbody)));
  let received = 0;
  let acked = agent.acked_seq;
  const ack = (seq) => act(async () => {
    const r = await api('POST', `/v1/agents/${enc(agent.agent_id)}/inbox/ack`, {up_to: seq});
    acked = r.acked_seq;
    for (const tr of tbody.querySelectorAll('tr')) {
      if (Number(tr.dataset.seq) <= acked && !tr.classList.contains('muted')) {
        tr.classList.add('muted');
        clear(tr.lastChild).append('acked');
      }
    }
  }, `Acked up to ${seq}.`);
  const add = batcher((msgs) => {
    received += msgs.length;
    const frag = document.createDocumentFragment();
    // Only the newest MAX_ROWS of a burst can stay on screen: build no more.
    for (const m of msgs.slice(-MAX_ROWS)) frag.prepend(messageRow(m, m.seq <= acked, ack));
    tbody.prepend(frag);
    while (tbody.childElementCount > MAX_ROWS) tbody.lastChild.remove();
    counter.textContent = `${received} messages received in this view; ${tbody.childElementCount} shown, newest first.`;
  });
  let closeStream = () => {};
  let closed = false;
  act(async () => {
    const recent = await api('GET', `/v1/agents/${enc(agent.agent_id)}/inbox?after=${Math.max(0, agent.acked_seq - 20)}&limit=20`);
    if (closed) return;
    for (const m of recent.messages.filter((x) => x.seq <= agent.acked_seq)) add(m);
    closeStream = stream(`/v1/agents/${enc(agent.agent_id)}/events`, {message: add, task: add,
      closed: () => status(`${agent.name} was deleted.`, true)});
  });
  return () => {
    closed = true;
    closeStream();
  };
}

function kvTable(obj) {
  const rows = [];
  const walk = (prefix, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    } else {
      rows.push([prefix, Array.isArray(v) ? JSON.stringify(v) : String(v)]);
    }
  };
  walk('', obj);
  return table([{label: 'figure', cell: (r) => h('span', {class: 'mono'}, r[0])}, {label: 'value', cell: (r) => r[1]}], rows);
}

export function diagnosticsView(root) {
  const parts = ['transport', 'pubsub', 'direct', 'tasks', 'conversations', 'a2a', 'console'];
  const queues = h('div');
  const sections = parts.map((p) => ({p, box: h('div', {id: `diag-${p}`})}));
  root.append(h('h1', {}, 'Diagnostics'), h('h2', {}, 'Queues'), queues,
      ...sections.flatMap(({p, box}) => [h('h2', {}, p), box]));
  act(async () => {
    clear(queues).append(queuesTable(await metrics()));
    await Promise.all(sections.map(async ({p, box}) => {
      try {
        clear(box).append(kvTable(await api('GET', `/v1/diagnostics/${p}`)));
      } catch (e) {
        clear(box).append(h('p', {class: 'muted'}, e.message));
      }
    }));
  });
  return null;
}

export function deadLettersView(root) {
  const list = h('div');
  root.append(h('h1', {}, 'Dead letters'), list);
  async function load() {
    const r = await api('GET', '/v1/deadletters?limit=200');
    clear(list).append(r.dead_letters.length ? table([
      {label: 'id', cell: (d) => String(d.id)},
      {label: 'time', cell: (d) => time(d.time_ms || d.created_ms), narrow: false},
      {label: 'to', cell: (d) => h('span', {class: 'mono', title: d.to}, short(d.to))},
      {label: 'reason', cell: (d) => d.reason},
      {label: 'attempts', cell: (d) => String(d.attempts ?? ''), narrow: false},
      {label: 'message', cell: (d) => renderBody(d)},
      {label: '', cell: (d) => h('span', {},
          h('button', {type: 'button', on: {click: () => act(() => api('POST', `/v1/deadletters/${d.id}/retry`), 'Retried.').then(load)}}, 'Retry'), ' ',
          h('button', {type: 'button', class: 'danger', on: {click: () => {
            if (confirm(`Discard dead letter ${d.id}?`)) act(() => api('DELETE', `/v1/deadletters/${d.id}`), 'Discarded.').then(load);
          }}}, 'Discard'))},
    ], r.dead_letters) : h('p', {class: 'muted'}, 'No dead letters.'));
  }
  act(load);
  return null;
}

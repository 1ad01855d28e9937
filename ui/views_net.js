// The console's views of work and the network: the task board, topics and
// the mesh (peers, a live graph, the directory).

import {act, agentPicker, api, batcher, bytes, clear, enc, field, h, short, status, stream, table, time} from './dom.js';
import {renderBody} from './views.js';

const STATES = ['submitted', 'working', 'input_required', 'auth_required', 'completed', 'failed', 'canceled', 'rejected'];
const OPEN = new Set(['submitted', 'working', 'input_required', 'auth_required']);
const MAX_ROWS = 500;
const TASK_PAGE = 200;
// Steps decided by the assignee; the others by the requester, or by a timer on
// the requester's daemon (docs/api.md, "Actions" and "Acceptance timeout").
const ASSIGNEE_STEPS = new Set(['accepted', 'progress', 'input_required', 'completed', 'rejected']);
const TIMER_REASONS = new Set(['not_accepted', 'deadline_exceeded']);

function text(parts) {
  return (parts || []).map((p) => (p.kind === 'text' ? p.text : p.kind === 'data' ? JSON.stringify(p.data) : p.uri)).join(' ');
}

// The actions this agent may take on the task now (docs/api.md, "Actions").
function actionsFor(task, me) {
  const mine = task.assignee === me.agent_id;
  const asked = task.requester === me.agent_id;
  const out = [];
  if (mine && task.state === 'submitted') out.push('accept', 'reject');
  if (mine && task.state === 'working') out.push('progress', 'input-required', 'complete', 'fail');
  if (mine && task.state === 'input_required') out.push('fail');
  if (asked && task.state === 'input_required') out.push('messages');
  if (asked && OPEN.has(task.state)) out.push('cancel');
  return out;
}

function actionBody(action, note) {
  const parts = note ? [{kind: 'text', text: note}] : undefined;
  switch (action) {
    case 'progress': return {parts: parts || [{kind: 'text', text: 'working on it'}], percent: 50};
    case 'messages': return {parts: parts || [{kind: 'text', text: 'answer'}]};
    case 'reject': case 'cancel': return note ? {reason: note} : {};
    case 'fail': return {parts, reason: note || 'failed from the console'};
    default: return parts ? {parts} : {};
  }
}

export function tasksView(root, [agentRef]) {
  const {sel, ready} = agentPicker('tasks-agent', agentRef, (v) => {
    location.hash = `#/tasks/${enc(v)}`;
  });
  root.append(h('h1', {}, 'Tasks'), h('form', {on: {submit: (e) => e.preventDefault()}}, field('Agent', sel)));
  let close = () => {};
  let left = false;  // the view was left before the agents arrived: open nothing
  act(async () => {
    const me = (await ready).find((a) => a.name === agentRef || a.agent_id === agentRef);
    if (me && !left) close = openBoard(root, me);
  });
  return () => {
    left = true;
    close();
  };
}

function newTaskForm(me, reload) {
  const to = h('input', {id: 'task-to', autocomplete: 'off'});
  const cap = h('input', {id: 'task-capability', autocomplete: 'off'});
  const input = h('input', {id: 'task-input', required: true, autocomplete: 'off'});
  return h('form', {'aria-label': `New task from ${me.name}`, on: {submit: async (e) => {
    e.preventDefault();
    const body = {input: [{kind: 'text', text: input.value}]};
    if (to.value.trim()) body.to = to.value.trim();
    else body.capability = cap.value.trim();
    const t = await act(() => api('POST', `/v1/agents/${enc(me.agent_id)}/tasks`, body));
    if (t) status(`Task ${short(t.task_id)} ${t.state}.`);
    reload();
  }}}, field('To (agent)', to), field('or capability', cap), field('Input', input),
  h('button', {type: 'submit', class: 'primary'}, 'Request task'));
}

function openBoard(root, me) {
  const board = h('div', {class: 'board', id: 'task-board'});
  const more = h('p', {id: 'task-more'});
  const detail = h('div', {id: 'task-detail'});
  let pages = 1;
  let reloadTimer = null;
  const reload = () => {
    if (reloadTimer) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      act(load);
    }, 150);
  };
  root.append(h('h2', {}, `Request a task as ${me.name}`), newTaskForm(me, reload), h('h2', {}, 'Board (live)'), board, more,
      h('h2', {}, 'Task'), detail);
  let closeDetail = () => {};
  function card(t) {
    const note = h('input', {'aria-label': `Note for task ${short(t.task_id)}`, placeholder: 'note or reason'});
    const acts = actionsFor(t, me);
    return h('div', {class: 'task', 'data-task': t.task_id, 'data-state': t.state},
        h('div', {class: 'mono'}, h('a', {href: '#', on: {click: (e) => {
          e.preventDefault();
          closeDetail();
          closeDetail = showTask(detail, me, t.task_id);
        }}}, short(t.task_id))),
        h('div', {}, t.requester === me.agent_id ? `to ${short(t.assignee)}` : `from ${short(t.requester)}`),
        h('div', {class: 'muted'}, text(t.input)),
        t.messages && t.messages.length ? h('div', {}, text(t.messages[t.messages.length - 1].parts)) : null,
        t.reason ? h('div', {class: 'state-degraded'}, t.reason) : null,
        t.artifacts && t.artifacts.length ? h('div', {class: 'muted'}, `${t.artifacts.length} artifact${t.artifacts.length === 1 ? '' : 's'}`) : null,
        acts.length ? note : null,
        acts.map((a) => h('button', {type: 'button', on: {click: () => act(() =>
          api('POST', `/v1/agents/${enc(me.agent_id)}/tasks/${t.task_id}/${a}`, actionBody(a, note.value.trim())), `${a}: done.`).then(reload)}}, a)));
  }
  // The first `pages` pages of the agent's tasks (by task id), read again on every change.
  async function load() {
    const tasks = [];
    let after = '';
    let full = false;
    for (let i = 0; i < pages; i++) {
      const r = await api('GET', `/v1/agents/${enc(me.agent_id)}/tasks?role=any&limit=${TASK_PAGE}${after ? `&after=${after}` : ''}`);
      tasks.push(...r.tasks);
      full = Boolean(r.next_after);
      if (!full) break;
      after = r.next_after;
    }
    clear(board).append(...STATES.map((s) => {
      const here = tasks.filter((t) => t.state === s);
      return h('section', {class: 'column', 'data-column': s, 'aria-label': s}, h('h3', {}, `${s} (${here.length})`), here.map(card));
    }));
    clear(more).append(h('span', {}, `${tasks.length} task${tasks.length === 1 ? '' : 's'} shown`, full ? ' ' : '.',
        full ? h('button', {type: 'button', on: {click: () => {
          pages += 1;
          act(load);
        }}}, `Show ${TASK_PAGE} more`) : null));
  }
  act(load);
  const closeStream = stream(`/v1/agents/${enc(me.agent_id)}/tasks/events?after=${me.last_seq}`, {task: reload});
  return () => {
    closeStream();
    closeDetail();
    clearTimeout(reloadTimer);
  };
}

function partView(p) {
  if (p.kind === 'text') return h('div', {class: 'msg-body'}, p.text);
  if (p.kind === 'data') return h('pre', {class: 'msg-body mono'}, JSON.stringify(p.data, null, 2));
  // A file by reference: its address is shown as text, never followed from here.
  return h('div', {}, 'file ', h('span', {class: 'mono'}, p.uri), [p.name, p.media_type, p.size !== undefined ? bytes(p.size) : '']
      .filter(Boolean).map((x) => ` · ${x}`).join(''));
}

function artifactsView(task) {
  if (!task.artifacts || !task.artifacts.length) return h('p', {class: 'muted'}, 'No artifacts yet.');
  return h('div', {}, task.artifacts.map((a) => h('section', {class: 'artifact', 'data-artifact': a.name},
      h('h3', {}, a.name, h('span', {class: 'muted'}, ` · ${a.chunks} chunk${a.chunks === 1 ? '' : 's'}${a.complete ? ', complete' : ', open'}`)),
      (a.parts || []).map(partView))));
}

function actorOf(e, requester) {
  if (ASSIGNEE_STEPS.has(e.kind) || (e.kind === 'failed' && !TIMER_REASONS.has(e.reason))) return short(e.assignee);
  if (e.kind === 'failed' || e.kind === 'offered') return 'requester\'s daemon';
  return short(requester);
}

// One task: its artifacts (read again after each step) and its timeline (the step stream).
function showTask(box, me, taskId) {
  const rows = h('tbody');
  const artifacts = h('div', {id: 'task-artifacts'});
  clear(box).append(h('p', {class: 'mono'}, taskId), h('h3', {}, 'Artifacts'), artifacts, h('h3', {}, 'Timeline'),
      h('div', {class: 'scroll', id: 'task-timeline'}, h('table', {}, h('thead', {}, h('tr', {},
          ['#', 'time', 'step', 'state', 'actor', 'detail'].map((c) => h('th', {scope: 'col'}, c)))), rows)));
  let requester = '';
  const refresh = batcher(() => act(async () => {
    const t = await api('GET', `/v1/agents/${enc(me.agent_id)}/tasks/${taskId}`);
    requester = t.requester;
    clear(artifacts).append(artifactsView(t));
  }));
  const add = (e) => {
    if (e.task) requester = e.task.requester;
    const chunks = (e.artifacts || []).map((a) => `${a.name}#${a.index}: ${text(a.parts)}`).join('; ');
    rows.append(h('tr', {}, h('td', {}, String(e.state_sequence)), h('td', {}, time(e.time_ms)), h('td', {}, e.kind),
        h('td', {}, e.state), h('td', {class: 'mono'}, actorOf(e, requester)),
        h('td', {}, [e.message ? text(e.message.parts) : '', e.reason || '', chunks].filter(Boolean).join(' · '))));
    refresh();
  };
  refresh();
  return stream(`/v1/agents/${enc(me.agent_id)}/tasks/${taskId}/events?after=0`, {task: add});
}

export function topicsView(root) {
  const list = h('div');
  const topic = h('input', {id: 'tail-topic', required: true, autocomplete: 'off'});
  const tail = h('tbody', {id: 'tail-rows'});
  const pubTopic = h('input', {id: 'pub-topic', required: true, autocomplete: 'off'});
  const pubBody = h('textarea', {id: 'pub-body', required: true});
  const {sel: as} = agentPicker('pub-as', '', () => {});
  let closeTail = () => {};
  const add = batcher((events) => {
    const frag = document.createDocumentFragment();
    for (const e of events) {
      frag.prepend(e.dropped !== undefined
        ? h('tr', {class: 'warn'}, h('td', {colspan: 4}, `${e.dropped} events dropped (this view was too slow)`))
        : h('tr', {}, h('td', {}, time(e.received_ms)), h('td', {class: 'mono'}, short(e.from_agent || e.from_peer)),
            h('td', {}, e.topic), h('td', {}, renderBody(e))));
    }
    tail.prepend(frag);
    while (tail.childElementCount > MAX_ROWS) tail.lastChild.remove();
  });
  root.append(h('h1', {}, 'Topics'), list,
      h('h2', {}, 'Tail'), h('form', {'aria-label': 'Tail a topic', on: {submit: (e) => {
        e.preventDefault();
        closeTail();
        clear(tail);
        closeTail = stream(`/v1/topics/${enc(topic.value)}/events`, {message: add, gap: add});
        status(`Tailing ${topic.value}.`);
        setTimeout(load, 500);
      }}}, field('Topic', topic), h('button', {type: 'submit', class: 'primary'}, 'Tail')),
      h('div', {class: 'scroll'}, h('table', {}, h('thead', {}, h('tr', {},
          ['received', 'from', 'topic', 'message'].map((c) => h('th', {scope: 'col'}, c)))), tail)),
      h('h2', {}, 'Publish'), h('form', {'aria-label': 'Publish on a topic', on: {submit: async (e) => {
        e.preventDefault();
        const r = await act(() => api('POST', `/v1/topics/${enc(pubTopic.value)}/messages`, {body: pubBody.value, as: as.value}));
        if (r) status(`Published to ${r.peers} peers.`);
      }}}, field('Topic', pubTopic), field('As agent', as), field('Body', pubBody),
      h('button', {type: 'submit', class: 'primary'}, 'Publish')));
  async function load() {
    const {topics} = await api('GET', '/v1/topics');
    clear(list).append(topics.length ? table([
      {label: 'topic', cell: (t) => t.topic},
      {label: 'local subscribers', cell: (t) => String(t.local_subscribers)},
      {label: 'mesh', cell: (t) => String(t.mesh)},
      {label: 'fanout', cell: (t) => String(t.fanout)},
      {label: 'peers', cell: (t) => String(t.peers)},
    ], topics) : h('p', {class: 'muted'}, 'No topics yet.'));
  }
  act(load);
  return () => closeTail();
}

// A graph of this daemon, its peers and the agents each hosts (from the directory).
function graph(node, peers, agents) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'graph');
  svg.setAttribute('viewBox', '0 0 800 420');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `This daemon, ${peers.length} peers and ${agents.length} agents`);
  const el = (tag, attrs, label) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (label !== undefined) e.textContent = label;
    svg.append(e);
    return e;
  };
  const byPeer = new Map();
  for (const a of agents) {
    const key = a.local ? node.peer_id : a.peer_id;
    byPeer.set(key, [...(byPeer.get(key) || []), a]);
  }
  const centre = {x: 400, y: 210};
  const daemons = [{id: node.peer_id, ...centre, self: true}];
  peers.forEach((p, i) => {
    const angle = (2 * Math.PI * i) / Math.max(peers.length, 1) - Math.PI / 2;
    daemons.push({id: p.peer_id, x: centre.x + 260 * Math.cos(angle), y: centre.y + 150 * Math.sin(angle), peer: p});
  });
  for (const d of daemons.slice(1)) el('line', {x1: centre.x, y1: centre.y, x2: d.x, y2: d.y, stroke: '#9aa3b2'});
  for (const d of daemons) {
    const hosted = byPeer.get(d.id) || [];
    hosted.slice(0, 12).forEach((a, j) => {
      const angle = (2 * Math.PI * j) / Math.min(hosted.length, 12);
      const x = d.x + 48 * Math.cos(angle);
      const y = d.y + 36 * Math.sin(angle);
      el('line', {x1: d.x, y1: d.y, x2: x, y2: y, stroke: '#d9dde5'});
      el('circle', {cx: x, cy: y, r: 5, fill: a.online ? '#15803d' : '#9aa3b2'});
      el('text', {x: x + 7, y: y + 4}, a.display_name || short(a.agent_id));
    });
    el('circle', {cx: d.x, cy: d.y, r: d.self ? 14 : 10, fill: d.self ? '#2458d6' : '#111827'});
    el('text', {x: d.x - 30, y: d.y + (d.self ? 30 : 26), 'data-peer': d.id},
        `${d.self ? 'this daemon' : short(d.id)}${d.peer && d.peer.ping_rtt_ms != null ? ` ${d.peer.ping_rtt_ms.toFixed(1)} ms` : ''}`);
  }
  return svg;
}

export function meshView(root) {
  const addr = h('input', {id: 'peer-addr', required: true, autocomplete: 'off', placeholder: '/ip4/127.0.0.1/tcp/7782/p2p/12D3KooW…'});
  const peersBox = h('div', {id: 'peers'});
  const graphBox = h('div');
  const capability = h('input', {id: 'dir-capability', autocomplete: 'off'});
  const dirBox = h('div');
  root.append(h('h1', {}, 'Mesh'), graphBox, h('h2', {}, 'Peers'), h('form', {'aria-label': 'Connect to a peer', on: {submit: async (e) => {
    e.preventDefault();
    if (await act(() => api('POST', '/v1/peers', {addr: addr.value.trim()}), 'Connected.')) changed();
  }}}, field('Multiaddr', addr), h('button', {type: 'submit', class: 'primary'}, 'Connect')), peersBox,
  h('h2', {}, 'Directory'), h('form', {'aria-label': 'Search the directory', on: {submit: (e) => {
    e.preventDefault();
    changed();
  }}}, field('Capability', capability), h('button', {type: 'submit'}, 'Search')), dirBox);
  function peersTable(peers) {
    clear(peersBox).append(peers.length ? table([
      {label: 'peer', cell: (p) => h('span', {class: 'mono', title: p.peer_id}, short(p.peer_id))},
      {label: 'path', cell: (p) => (p.addr.includes('/p2p-circuit') ? 'relayed' : 'direct')},
      {label: 'direction', cell: (p) => p.direction, narrow: false},
      {label: 'address', cell: (p) => h('span', {class: 'mono'}, p.addr), narrow: false},
      {label: 'RTT', cell: (p) => (p.ping_rtt_ms == null ? '…' : `${p.ping_rtt_ms.toFixed(2)} ms`)},
      {label: 'in / out', cell: (p) => `${bytes(p.bytes_in)} / ${bytes(p.bytes_out)}`},
      {label: 'since', cell: (p) => time(p.connected_since_ms), narrow: false},
      {label: '', cell: (p) => h('button', {type: 'button', class: 'danger', on: {click: () =>
        act(() => api('DELETE', `/v1/peers/${p.peer_id}`), 'Disconnected.').then(changed)}}, 'Disconnect')},
    ], peers) : h('p', {class: 'muted'}, 'No peers connected.'));
  }
  // The graph and the directory: drawn when the daemon says the mesh changed
  // (GET /v1/peers/events), at most once a second.
  async function redraw() {
    const q = capability.value.trim() ? `?capability=${enc(capability.value.trim())}` : '';
    const [node, {peers}, all, found] = await Promise.all([api('GET', '/v1/node'), api('GET', '/v1/peers'),
      api('GET', '/v1/directory'), api('GET', `/v1/directory${q}`)]);
    clear(graphBox).append(graph(node, peers, all.agents));
    peersTable(peers);
    clear(dirBox).append(table([
      {label: 'agent', cell: (a) => h('span', {class: 'mono', title: a.agent_id}, a.display_name || short(a.agent_id))},
      {label: 'presence', cell: (a) => a.presence},
      {label: 'capabilities', cell: (a) => a.capabilities.join(', ')},
      {label: 'daemon', cell: (a) => (a.local ? 'this one' : h('span', {class: 'mono'}, short(a.peer_id))), narrow: false},
      {label: 'last seen', cell: (a) => time(a.last_seen_ms), narrow: false},
    ], found.agents));
  }
  let drawing = null;
  let again = false;
  let stopped = false;
  function changed() {
    if (drawing) {
      again = true;
      return;
    }
    drawing = act(redraw).then(() => new Promise((r) => setTimeout(r, 1000))).then(() => {
      drawing = null;
      if (again && !stopped) {
        again = false;
        changed();
      }
    });
  }
  const closeStream = stream('/v1/peers/events', {mesh: changed});
  // Round-trip times and byte counts move without a mesh change: the peers table is read every 3 s.
  const timer = setInterval(() => api('GET', '/v1/peers').then(({peers}) => peersTable(peers))
      .catch((e) => status(e.message, true)), 3000);
  return () => {
    stopped = true;
    closeStream();
    clearInterval(timer);
  };
}

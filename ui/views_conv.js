// The console's conversations view: an agent's conversations, and one of
// them as a thread (a reply sits under the message it answers: its
// in_reply_to names that message's reply_with or request_id).

import {act, agentPicker, api, clear, enc, field, h, short, time} from './dom.js';
import {renderBody} from './views.js';

const POLL_MS = 2000;

// Messages in commit order, each under the one it answers (depth-first).
function threaded(messages) {
  const byKey = new Map();
  for (const m of messages) {
    if (m.reply_with) byKey.set(`${m.from}/${m.reply_with}`, m);
    byKey.set(m.request_id, m);
  }
  const children = new Map();
  const roots = [];
  for (const m of messages) {
    const parent = m.in_reply_to && (byKey.get(`${m.to}/${m.in_reply_to}`) || byKey.get(m.in_reply_to));
    if (parent && parent !== m) children.set(parent, [...(children.get(parent) || []), m]);
    else roots.push(m);
  }
  const out = [];
  const walk = (m, depth) => {
    out.push({m, depth});
    for (const c of children.get(m) || []) walk(c, Math.min(depth + 1, 6));
  };
  roots.forEach((m) => walk(m, 0));
  return out;
}

function threadView(box, agent, cid) {
  async function load() {
    const r = await api('GET', `/v1/agents/${enc(agent)}/conversations/${enc(cid)}?limit=1000`);
    const c = r.conversation;
    clear(box).append(
        h('h2', {}, `Conversation ${cid}`),
        h('p', {class: 'muted'}, `${c.message_count} messages, ${c.state}, participants ${c.participants.map(short).join(', ')}` +
          `${c.protocol ? `, protocol ${c.protocol}` : ''}; last ${time(c.last_ms)}`),
        h('ol', {class: 'thread', id: 'conv-thread'}, ...threaded(r.messages).map(({m, depth}) => {
          const li = h('li', {class: `msg ${m.direction}`, 'data-index': m.index},
              h('div', {class: 'muted'}, `#${m.index} ${m.direction === 'sent' ? 'sent to' : 'from'} `,
                  h('span', {class: 'mono', title: m.direction === 'sent' ? m.to : m.from}, short(m.direction === 'sent' ? m.to : m.from)),
                  ` · ${time(m.time_ms)}${m.performative ? ` · ${m.performative}` : ''}`),
              renderBody(m));
          li.style.marginLeft = `${depth * 24}px`;
          return li;
        })));
  }
  act(load);
  const timer = setInterval(() => load().catch(() => {}), POLL_MS);
  return () => clearInterval(timer);
}

export function conversationsView(root, [agent, cid]) {
  const list = h('div', {id: 'conv-list'});
  const thread = h('div');
  root.append(h('h1', {}, 'Conversations'),
      h('form', {on: {submit: (e) => e.preventDefault()}}, field('Agent', agentPicker('conv-agent', agent, (v) => {
        location.hash = `#/conversations/${enc(v)}`;
      }).sel)), list, thread);
  if (!agent) return null;
  async function load() {
    const r = await api('GET', `/v1/agents/${enc(agent)}/conversations?state=any&limit=1000`);
    clear(list).append(r.conversations.length ? h('div', {class: 'scroll'}, h('table', {},
        h('thead', {}, h('tr', {}, ['conversation', 'messages', 'participants', 'state', 'last'].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, r.conversations.map((c) => h('tr', {},
            h('td', {}, h('a', {href: `#/conversations/${enc(agent)}/${enc(c.conversation_id)}`}, c.conversation_id)),
            h('td', {}, String(c.message_count)), h('td', {class: 'mono'}, c.participants.map(short).join(' ')),
            h('td', {}, c.state), h('td', {}, time(c.last_ms))))))) : h('p', {class: 'muted'}, 'No conversations.'));
  }
  act(load);
  const timer = setInterval(() => load().catch(() => {}), POLL_MS);
  const closeThread = cid ? threadView(thread, agent, cid) : () => {};
  return () => {
    clearInterval(timer);
    closeThread();
  };
}

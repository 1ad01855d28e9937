// The A2A interop check (tests/interop/a2a_test.cpp runs it): the pinned
// @a2a-js/sdk client against an agentmesh daemon's A2A gateway, with the
// agent's worker in this process driving the daemon's local HTTP API as any
// agent would (it never sees A2A).
//
// Environment: A2A_URL (the gateway, http://127.0.0.1:PORT), A2A_AGENT (the
// published agent's name), A2A_TOKEN (a token for it), A2A_OTHER_TOKEN (a
// second caller's token), API_URL (the local API), WORKER_TOKEN (the agent's
// API token); A2A_TRANSPORT: the binding the clients use, JSONRPC (the
// default), HTTP+JSON, or JSONRPC-0.3 (the SDK's A2A 0.3 transport: the 0.3
// method names and shapes; ListTasks, which 0.3 lacks, goes through 1.0). Prints one "ok <check>" line per check; exits
// non-zero on the first failure.
import { createServer } from 'node:http';
import { Role, TaskState } from '@a2a-js/sdk';
import {
  Client, ClientFactory, JsonRpcTransportFactory, RestTransportFactory,
} from '@a2a-js/sdk/client';
import { LegacyJsonRpcTransport } from '@a2a-js/sdk/compat/v0_3/client';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const [gateway, agent, token, otherToken, api, workerToken] =
  ['A2A_URL', 'A2A_AGENT', 'A2A_TOKEN', 'A2A_OTHER_TOKEN', 'API_URL', 'WORKER_TOKEN'].map(env);
const binding = process.env.A2A_TRANSPORT ?? 'JSONRPC';
if (!['JSONRPC', 'HTTP+JSON', 'JSONRPC-0.3'].includes(binding)) throw new Error(`A2A_TRANSPORT: ${binding}?`);

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok ${what}`);
}

// --- the worker: the agent's own task API, polled ---
const seen = new Set();
let stopping = false;
async function apiCall(method, path, body) {
  const r = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${workerToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}
const textOf = (parts) => parts.filter((p) => p.kind === 'text').map((p) => p.text).join('');
async function work(t) {
  const base = `/v1/agents/${agent}/tasks/${t.task_id}`;
  const input = textOf(t.input);
  await apiCall('POST', `${base}/accept`, {});
  if (input.startsWith('slow:')) {
    // The caller cancels as soon as it sees `working`, which can be before this progress arrives: the daemon then
    // refuses it (409 invalid_transition), which is right.
    await apiCall('POST', `${base}/progress`, { parts: [{ kind: 'text', text: 'started' }], percent: 10 })
      .catch((e) => { if (!/: 409 .*invalid_transition/.test(e.message)) throw e; });
    return;  // never completes: the caller cancels it
  }
  if (input.startsWith('ask:')) {
    await apiCall('POST', `${base}/input-required`, { parts: [{ kind: 'text', text: 'which language?' }] });
    for (;;) {  // until the caller answers
      const now = await apiCall('GET', base);
      if (now.state === 'working') {
        const answer = textOf(now.messages[now.messages.length - 1].parts);
        await apiCall('POST', `${base}/complete`, {
          artifacts: [{ name: 'answer', index: 0, last: true, parts: [{ kind: 'text', text: `${input} -> ${answer}` }] }],
        });
        return;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  await apiCall('POST', `${base}/progress`, {
    parts: [{ kind: 'text', text: 'halfway' }], percent: 50,
    artifacts: [{ name: 'echo', index: 0, parts: [{ kind: 'text', text: 'echo: ' }] }],
  });
  await apiCall('POST', `${base}/complete`, {
    artifacts: [{ name: 'echo', index: 1, last: true, parts: [{ kind: 'text', text: input }] },
                { name: 'data', index: 0, last: true, parts: [{ kind: 'data', data: { length: input.length } }] }],
  });
}
async function worker() {
  while (!stopping) {
    const list = await apiCall('GET', `/v1/agents/${agent}/tasks?role=assignee&state=submitted`);
    for (const t of list.tasks) {
      if (seen.has(t.task_id)) continue;
      seen.add(t.task_id);
      work(t).catch((e) => { console.error(`worker: ${e.message}`); process.exit(1); });
    }
    await new Promise((res) => setTimeout(res, 20));
  }
}

// --- the A2A clients ---
async function clientFor(bearer, which = binding) {
  const fetchImpl = (url, init) => fetch(url, {
    ...init, headers: { ...(init?.headers ?? {}), authorization: `Bearer ${bearer}` },
  });
  // Only the chosen binding's factory: the client cannot fall back to the other.
  const factory = which === 'HTTP+JSON' ? new RestTransportFactory({ fetchImpl })
                                        : new JsonRpcTransportFactory({ fetchImpl });
  // The card's URLs are relative to the agent's base.
  const v1 = await new ClientFactory({ transports: [factory] }).createFromUrl(`${gateway}/agents/${agent}/`);
  if (which !== 'JSONRPC-0.3') return v1;
  const card = await v1.getAgentCard();
  const endpoint = card.supportedInterfaces.find((i) => i.protocolBinding === 'JSONRPC').url;
  return new Client(new LegacyJsonRpcTransport({ endpoint, fetchImpl }), card);
}
// The SDK's typed values: enums as numbers, a part's content as {$case, value}.
const message = (text, extra = {}) => ({
  message: {
    messageId: crypto.randomUUID(), role: Role.ROLE_USER, parts: [{ content: { $case: 'text', value: text } }],
    ...extra,
  },
});
const { TASK_STATE_SUBMITTED: SUBMITTED, TASK_STATE_WORKING: WORKING, TASK_STATE_COMPLETED: COMPLETED,
        TASK_STATE_CANCELED: CANCELED, TASK_STATE_INPUT_REQUIRED: INPUT_REQUIRED } = TaskState;
const until = async (f, what) => {
  const end = Date.now() + 20000;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
};

// --- push notifications: a webhook in this process ---
// It answers its first POST 503 (the daemon must retry it) and the rest 204.
async function webhook() {
  const posts = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      posts.push({ headers: req.headers, body: JSON.parse(body) });
      res.writeHead(posts.length === 1 ? 503 : 204).end();
    });
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  return { posts, server, url: `http://127.0.0.1:${server.address().port}/hook` };
}

async function pushNotifications(client) {
  const v03 = binding === 'JSONRPC-0.3';
  check(card.capabilities.pushNotifications === true, 'card says pushNotifications');
  const hook = await webhook();
  const auth = { scheme: 'Bearer', credentials: 'hook-secret' };
  const pushed = await client.sendMessage({
    ...message('push me'),
    configuration: { returnImmediately: true, taskPushNotificationConfig: { url: hook.url, token: 'tok-1', authentication: auth } },
  });
  // 1.0: every step's StreamResponse objects, from submitted to completed; 0.3: the task after each step.
  const stateOf = (b) => (v03 ? b.status?.state : b.statusUpdate?.status?.state);
  const last = v03 ? 'completed' : 'TASK_STATE_COMPLETED';
  await until(() => hook.posts.some((p) => stateOf(p.body) === last), 'the webhook sees completed');
  check(hook.posts.every((p) => p.headers['x-a2a-notification-token'] === 'tok-1' &&
                         p.headers.authorization === 'Bearer hook-secret'), 'notifications carry the token and credentials');
  // 0.3 sends the task as it is when the POST is made: the retry may show a later state.
  const same = (a, b) => (v03 ? a.id === b.id : JSON.stringify(a) === JSON.stringify(b));
  check(same(hook.posts[0].body, hook.posts[1].body), 'a refused notification is sent again');
  const states = hook.posts.slice(1).map((p) => stateOf(p.body)).filter(Boolean);
  check(states[states.length - 1] === last &&
        (v03 || (states.indexOf(last) === states.length - 1 && states[0] === 'TASK_STATE_SUBMITTED')),
        'notifications arrive in order, completed last');
  if (!v03) {
    const chunks = hook.posts.slice(1).filter((p) => p.body.artifactUpdate?.artifact.artifactId === 'echo');
    check(chunks.map((p) => p.body.artifactUpdate.artifact.parts[0].text).join('') === 'echo: push me',
          'artifact updates are pushed');
  }
  check(hook.posts.every((p) => (v03 ? p.body.id : (p.body.statusUpdate ?? p.body.artifactUpdate).taskId) === pushed.id),
        'every notification names the task');

  // The config methods on a task that is still working.
  const slow = await client.sendMessage({ ...message('slow: hooked'), configuration: { returnImmediately: true } });
  await until(async () => (await client.getTask({ id: slow.id })).status.state === WORKING, 'working');
  const made = await client.createTaskPushNotificationConfig({ taskId: slow.id, id: 'second', url: hook.url, token: 'tok-2' });
  check(made.id === 'second' && made.taskId === slow.id, 'CreateTaskPushNotificationConfig');
  const got = await client.getTaskPushNotificationConfig({ taskId: slow.id, id: 'second' });
  check(got.url === hook.url && got.token === 'tok-2', 'GetTaskPushNotificationConfig');
  const listed = await client.listTaskPushNotificationConfig({ taskId: slow.id });
  check(listed.configs.length === 1 && listed.configs[0].id === 'second', 'ListTaskPushNotificationConfigs');
  await client.cancelTask({ id: slow.id });
  await until(() => hook.posts.some((p) => p.headers['x-a2a-notification-token'] === 'tok-2' &&
                                    stateOf(p.body) === (v03 ? 'canceled' : 'TASK_STATE_CANCELED')), 'canceled pushed');
  check(true, 'a config made on a working task pushes its later steps');
  await client.deleteTaskPushNotificationConfig({ taskId: slow.id, id: 'second' });
  await client.deleteTaskPushNotificationConfig({ taskId: slow.id, id: 'second' });  // idempotent
  check((await client.listTaskPushNotificationConfig({ taskId: slow.id })).configs.length === 0,
        'DeleteTaskPushNotificationConfig, twice');
  let missing = null;
  try { await client.getTaskPushNotificationConfig({ taskId: slow.id, id: 'second' }); } catch (e) { missing = e; }
  check(missing !== null, 'a deleted config is not found');
  let forbidden = null;
  try {
    await client.createTaskPushNotificationConfig({ taskId: slow.id, id: 'meta', url: 'http://169.254.169.254/latest' });
  } catch (e) { forbidden = e; }
  check(forbidden !== null && /not a public address/.test(forbidden.message), 'a link-local webhook is refused');
  hook.server.close();
}

let card;
async function main() {
  const work = worker();
  const client = await clientFor(token);
  card = await client.getAgentCard();
  const bindings = card.supportedInterfaces.map((i) => i.protocolBinding);
  check(bindings.includes('JSONRPC') && bindings.includes('HTTP+JSON'), 'card lists JSON-RPC and HTTP+JSON');
  check(card.capabilities.extensions.some((e) => e.params?.agentId?.length === 64), 'card carries the mesh agent id');

  // A blocking call returns the completed task with its artifacts.
  const done = await client.sendMessage(message('hello mesh'));
  check(done.status.state === COMPLETED, 'blocking SendMessage returns completed');
  const echo = done.artifacts.find((a) => a.artifactId === 'echo');
  check(echo.parts.map((p) => p.content.value).join('') === 'echo: hello mesh', 'artifact chunks in order');
  const data = done.artifacts.find((a) => a.artifactId === 'data');
  check(data.parts[0].content.value.length === 10, 'a data part is JSON');
  check(done.history[0].parts[0].content.value === 'hello mesh', 'history starts with the input');

  // returnImmediately, then GetTask until completed; ListTasks sees it.
  const submitted = await client.sendMessage({ ...message('later'), configuration: { returnImmediately: true } });
  check(submitted.status.state === SUBMITTED || submitted.status.state === WORKING,
        'returnImmediately returns the open task');
  await until(async () => (await client.getTask({ id: submitted.id })).status.state === COMPLETED,
              'GetTask sees completed');
  check(true, 'GetTask polls to completed');
  const lister = binding === 'JSONRPC-0.3' ? await clientFor(token, 'JSONRPC') : client;
  const listed = await lister.listTasks({ status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 1 });
  check(listed.tasks.length === 1 && listed.totalSize === 2 && listed.nextPageToken !== '', 'ListTasks pages');
  const rest = await lister.listTasks({ status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 10,
                                        pageToken: listed.nextPageToken });
  check(rest.tasks.length === 1 && rest.nextPageToken === '', 'ListTasks next page');

  // The same messageId again: the same task, not a second one.
  const repeat = message('once');
  const first = await client.sendMessage(repeat);
  const second = await client.sendMessage(repeat);
  check(first.id === second.id, 'a repeated messageId returns the same task');

  // input_required round trip.
  const asked = await client.sendMessage(message('ask: translate hi'));
  check(asked.status.state === INPUT_REQUIRED, 'blocking SendMessage returns at input_required');
  check(asked.status.message.parts[0].content.value === 'which language?', 'the status message asks');
  const answered = await client.sendMessage(message('German', { taskId: asked.id, contextId: asked.contextId }));
  check(answered.status.state === COMPLETED, 'the answer completes the task');
  check(answered.artifacts[0].parts[0].content.value === 'ask: translate hi -> German', 'the worker saw the answer');

  // Cancel during work.
  const slow = await client.sendMessage({ ...message('slow: forever'), configuration: { returnImmediately: true } });
  await until(async () => (await client.getTask({ id: slow.id })).status.state === WORKING, 'working');
  const canceled = await client.cancelTask({ id: slow.id });
  check(canceled.status.state === CANCELED, 'CancelTask during work');
  let refused = null;
  try { await client.cancelTask({ id: done.id }); } catch (e) { refused = e; }
  check(refused !== null && /cancel/i.test(`${refused.name} ${refused.message}`), 'a completed task is not cancelable');

  // Streaming: the task, then its steps in order, ending after the final status.
  check(card.capabilities.streaming === true, 'card says streaming');
  const streamed = [];
  for await (const ev of client.sendMessageStream(message('stream me'))) streamed.push(ev.payload);
  check(streamed[0].$case === 'task', 'a stream starts with the task');
  const states = streamed.filter((p) => p.$case === 'statusUpdate').map((p) => p.value.status.state);
  check(states.includes(WORKING) && states[states.length - 1] === COMPLETED, 'status updates through working to completed');
  const pieces = streamed.filter((p) => p.$case === 'artifactUpdate' && p.value.artifact.artifactId === 'echo');
  check(pieces.map((c) => c.value.artifact.parts[0].content.value).join('') === 'echo: stream me' &&
        !pieces[0].value.append && pieces[1].value.append && pieces[1].value.lastChunk, 'artifact updates in order');
  check(streamed[streamed.length - 1].$case === 'statusUpdate', 'the stream ends after the final status');

  // SubscribeToTask: the task, then its steps until canceled.
  const watched = await client.sendMessage({ ...message('slow: watch me'), configuration: { returnImmediately: true } });
  await until(async () => (await client.getTask({ id: watched.id })).status.state === WORKING, 'working');
  const sub = client.resubscribeTask({ id: watched.id });
  const head = await sub.next();
  check(head.value.payload.$case === 'task', 'SubscribeToTask starts with the task');
  await client.cancelTask({ id: watched.id });
  const tail = [];
  for await (const ev of sub) tail.push(ev.payload);
  check(tail.length > 0 && tail[tail.length - 1].value.status.state === CANCELED, 'SubscribeToTask follows it to canceled');

  await pushNotifications(client);

  // Another caller sees none of this caller's tasks.
  const other = await clientFor(otherToken);
  let hidden = null;
  try { await other.getTask({ id: done.id }); } catch (e) { hidden = e; }
  check(hidden !== null, "another caller cannot read this caller's task");
  const otherLister = binding === 'JSONRPC-0.3' ? await clientFor(otherToken, 'JSONRPC') : other;
  check((await otherLister.listTasks({ status: TaskState.TASK_STATE_UNSPECIFIED })).tasks.length === 0,
        "another caller's ListTasks is empty");

  // A wrong token is refused.
  let denied = null;
  try { await (await clientFor('amt_' + '0'.repeat(64))).getTask({ id: done.id }); } catch (e) { denied = e; }
  check(denied !== null, 'a wrong token is refused');

  stopping = true;
  await work;
}

main().then(() => process.exit(0), (e) => { console.error(e.stack ?? String(e)); process.exit(1); });

// The outbound A2A check (tests/interop/a2a_test.cpp runs it): agents built
// with the pinned @a2a-js/sdk's own server side (express, DefaultRequestHandler,
// InMemoryTaskStore), in this process, called by a mesh agent through the
// daemon's outbound A2A client: the mesh agent only creates tasks with
// "to": "a2a:<card URL>" on the local API and watches them.
//
// Three SDK agents: `streamer` (its card says streaming; it wants the bearer
// token "s3cret"), `poller` (no streaming: the daemon polls GetTask) and
// `rester` (streaming, HTTP+JSON only). Each runs the same executor, by the
// message's text:
//   echo: X   working ("echoing"), the artifact "echo" = X, completed
//   slow      working ("started"), then nothing until canceled
//   ask       input-required ("which language?"); the answer: artifact, completed
//   flaky     the first POST carrying it is read, then its connection is
//             destroyed (an unknown outcome); the same messageId again passes
//
// Environment: API_URL (the daemon's local API), ADMIN_TOKEN, AGENT (the
// requester's name), AGENT_TOKEN (its API token). Prints one "ok <check>"
// line per check; exits non-zero on the first failure.
import express from 'express';
import { AGENT_CARD_PATH, A2A_PROTOCOL_VERSION, Role, TaskState } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from '@a2a-js/sdk/server/express';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const [api, adminToken, agent, agentToken] = ['API_URL', 'ADMIN_TOKEN', 'AGENT', 'AGENT_TOKEN'].map(env);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok ${what}`);
}
const textOf = (parts) => (parts ?? []).filter((p) => p.text !== undefined).map((p) => p.text).join('');
// The SDK's own objects hold parts as protobuf-ts oneofs.
const sdkPart = (text) => ({
  content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: '',
});
const sdkText = (parts) => (parts ?? []).filter((p) => p.content?.$case === 'text')
  .map((p) => p.content.value).join('');

// --- the SDK's agents ---
const canceled = new Set();       // remote task ids whose cancelTask ran
const messageIds = [];            // every messageId a POST carried, in order
const waiting = new Map();        // slow tasks: id -> resolve
let flakyDropped = false;

function executor() {
  const now = () => new Date().toISOString();
  const status = (ctx, state, text) => AgentEvent.statusUpdate({
    taskId: ctx.taskId, contextId: ctx.contextId,
    status: { state, timestamp: now(), message: text === undefined ? undefined : {
      messageId: `${ctx.taskId}-${state}-${Date.now()}`, role: Role.ROLE_AGENT, parts: [sdkPart(text)],
      contextId: ctx.contextId,
      taskId: ctx.taskId, metadata: undefined, extensions: [], referenceTaskIds: [] } },
    metadata: undefined });
  const artifact = (ctx, id, text) => AgentEvent.artifactUpdate({
    taskId: ctx.taskId, contextId: ctx.contextId,
    artifact: { artifactId: id, name: id, description: '', parts: [sdkPart(text)], metadata: undefined,
                extensions: [] },
    lastChunk: true, append: false, metadata: undefined });
  return {
    async execute(ctx, bus) {
      const m = ctx.userMessage;
      const input = sdkText(m.parts);
      bus.publish(AgentEvent.task(ctx.task ?? { id: ctx.taskId, contextId: ctx.contextId,
        status: { state: TaskState.TASK_STATE_SUBMITTED, timestamp: now(), message: undefined },
        artifacts: [], history: [m], metadata: undefined }));
      if (ctx.task) {  // the answer to "ask"
        bus.publish(artifact(ctx, 'answer', `ask -> ${input}`));
        bus.publish(status(ctx, TaskState.TASK_STATE_COMPLETED));
        return;
      }
      if (input === 'ask') {
        bus.publish(status(ctx, TaskState.TASK_STATE_INPUT_REQUIRED, 'which language?'));
        return;
      }
      if (input === 'slow') {
        bus.publish(status(ctx, TaskState.TASK_STATE_WORKING, 'started'));
        await new Promise((res) => waiting.set(ctx.taskId, res));
        return;
      }
      bus.publish(status(ctx, TaskState.TASK_STATE_WORKING, 'echoing'));
      await sleep(50);
      bus.publish(artifact(ctx, 'echo', input));
      bus.publish(status(ctx, TaskState.TASK_STATE_COMPLETED));
    },
    async cancelTask(taskId, bus) {
      canceled.add(taskId);
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId: '',
        status: { state: TaskState.TASK_STATE_CANCELED, timestamp: now(), message: undefined }, metadata: undefined }));
      waiting.get(taskId)?.();
    },
  };
}

async function sdkAgent(name, streaming, bearer, binding = 'JSONRPC') {
  const card = {
    name, description: `${name} (the SDK's server)`, version: '1.0.0',
    supportedInterfaces: [{ url: 'http://127.0.0.1:0/', protocolBinding: binding, tenant: '',
                            protocolVersion: A2A_PROTOCOL_VERSION }],
    capabilities: { streaming, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {}, securityRequirements: [], defaultInputModes: ['text'], defaultOutputModes: ['text'],
    skills: [{ id: 'echo', name: 'echo', description: 'echo', tags: ['echo'], examples: [], inputModes: ['text'],
               outputModes: ['text'], securityRequirements: [] }],
    documentationUrl: '', signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor());
  const app = express();
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: handler }));
  // In front of the SDK's handler: the bearer check, the messageIds seen, the dropped connection.
  const guard = (req, res, next) => {
    if (bearer && req.headers.authorization !== `Bearer ${bearer}`) {
      res.status(401).json({ error: 'unauthorized' });
      return;
    }
    const message = binding === 'JSONRPC' ? req.body?.params?.message : req.body?.message;
    if (message) messageIds.push(message.messageId);
    if (message && textOf(message.parts) === 'flaky' && !flakyDropped) {
      flakyDropped = true;
      req.socket.destroy();  // read, never answered: the client cannot know what happened
      return;
    }
    next();
  };
  const sends = (req) => req.method === 'POST' && (binding === 'JSONRPC' ? req.path === '/'
                                                                          : req.path.startsWith('/rest/message:'));
  app.use((req, res, next) => (sends(req) ? express.json()(req, res, () => guard(req, res, next)) : next()));
  if (binding === 'JSONRPC') {
    app.use(jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  } else {
    app.use('/rest', restHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  }
  const server = await new Promise((res) => { const s = app.listen(0, '127.0.0.1', () => res(s)); });
  const base = `http://127.0.0.1:${server.address().port}`;
  card.supportedInterfaces[0].url = binding === 'JSONRPC' ? `${base}/` : `${base}/rest`;
  return { server, cardUrl: `${base}/${AGENT_CARD_PATH}` };
}

// --- the mesh agent: the local API ---
async function call(method, path, body, token = agentToken) {
  const r = await fetch(`${api}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : {} };
}
async function task(to, text, extra = {}) {
  const r = await call('POST', `/v1/agents/${agent}/tasks`,
                       { to: `a2a:${to}`, input: [{ kind: 'text', text }], ...extra });
  if (r.status !== 202) throw new Error(`creating a task: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.task_id;
}
async function until(id, pred, what) {
  for (let i = 0; i < 1500; ++i) {
    const r = await call('GET', `/v1/agents/${agent}/tasks/${id}`);
    if (r.status === 200 && pred(r.body)) return r.body;
    await sleep(20);
  }
  const r = await call('GET', `/v1/agents/${agent}/tasks/${id}`);
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(r.body)}`);
}
const ended = (t) => ['completed', 'failed', 'canceled', 'rejected'].includes(t.state);
const remoteId = (t) => {
  for (const m of t.messages) {
    for (const p of m.parts) if (p.media_type === 'application/vnd.agentmesh.a2a-remote+json') return p.data.taskId;
  }
  return undefined;
};
const artifactText = (t, name) => textOf(t.artifacts.find((a) => a.name === name)?.parts);

const streamer = await sdkAgent('streamer', true, 's3cret');
const poller = await sdkAgent('poller', false, undefined);
const rester = await sdkAgent('rester', true, undefined, 'HTTP+JSON');
try {
  // Credentials: added by the admin, listed without the secret.
  const added = await call('POST', '/v1/a2a/credentials', { name: 'streamer', bearer: 's3cret' }, adminToken);
  check(added.status === 201 && added.body.secret === undefined, 'a credential is added');
  const listed = await call('GET', '/v1/a2a/credentials', undefined, adminToken);
  check(listed.body.credentials.length === 1 && !JSON.stringify(listed.body).includes('s3cret'),
        'credentials are listed without their secret');
  const unknown = await call('POST', `/v1/agents/${agent}/tasks`,
                             { to: `a2a:${streamer.cardUrl}`, credential: 'nope',
                               input: [{ kind: 'text', text: 'x' }] });
  check(unknown.status === 400 && /no A2A credential/.test(JSON.stringify(unknown.body)),
        'an unknown credential is refused before a task is made');

  // Streaming: echo.
  let id = await task(streamer.cardUrl, 'echo: hello', { credential: 'streamer' });
  let t = await until(id, ended, 'the streamed echo');
  check(t.state === 'completed' && artifactText(t, 'echo') === 'echo: hello',
        'a streamed task completes with its artifact');
  check(t.messages.some((m) => textOf(m.parts) === 'echoing') && remoteId(t),
        'status messages and the remote task id arrive');
  check(t.metadata['a2a.url'] === streamer.cardUrl && t.metadata['a2a.credential'] === 'streamer',
        'the task names its A2A agent and credential');

  // Without the credential the agent answers 401: the task fails with the reason.
  id = await task(streamer.cardUrl, 'echo: no token');
  t = await until(id, ended, 'the refused call');
  check(t.state === 'failed' && /HTTP status 401/.test(t.reason), 'a refused call fails the task with the reason');

  // Cancel during work is forwarded.
  id = await task(streamer.cardUrl, 'slow', { credential: 'streamer' });
  t = await until(id, (x) => remoteId(x) && x.messages.some((m) => textOf(m.parts) === 'started'), 'slow started');
  const remote = remoteId(t);
  const cancel = await call('POST', `/v1/agents/${agent}/tasks/${id}/cancel`, { reason: 'changed my mind' });
  check(cancel.status === 200 && cancel.body.state === 'canceled', 'the requester cancels');
  for (let i = 0; i < 1500 && !canceled.has(remote); ++i) await sleep(20);
  check(canceled.has(remote), 'the cancel reaches the remote agent (CancelTask)');

  // input-required round trip, streaming.
  id = await task(streamer.cardUrl, 'ask', { credential: 'streamer' });
  t = await until(id, (x) => x.state === 'input_required' || ended(x), 'input required');
  check(t.state === 'input_required' && textOf(t.messages.at(-1).parts) === 'which language?',
        'the remote input-required is the task\'s');
  const answered = await call('POST', `/v1/agents/${agent}/tasks/${id}/messages`,
                              { parts: [{ kind: 'text', text: 'French' }] });
  check(answered.status === 200, 'the requester answers');
  t = await until(id, ended, 'the answered task');
  check(t.state === 'completed' && artifactText(t, 'answer') === 'ask -> French', 'the answer reaches the remote task');

  // Polling (the card does not stream): echo and ask.
  id = await task(poller.cardUrl, 'echo: polled');
  t = await until(id, ended, 'the polled echo');
  check(t.state === 'completed' && artifactText(t, 'echo') === 'echo: polled',
        'a polled task completes with its artifact');
  id = await task(poller.cardUrl, 'ask');
  t = await until(id, (x) => x.state === 'input_required' || ended(x), 'polled input required');
  await call('POST', `/v1/agents/${agent}/tasks/${id}/messages`, { parts: [{ kind: 'text', text: 'German' }] });
  t = await until(id, ended, 'the polled answer');
  check(t.state === 'completed' && artifactText(t, 'answer') === 'ask -> German', 'a polled input round trip');

  // An unknown outcome: the same messageId again, and the task says so.
  id = await task(poller.cardUrl, 'flaky');
  t = await until(id, ended, 'the flaky call');
  const sent = messageIds.filter((m) => m === id);
  check(t.state === 'completed' && sent.length === 2, 'an unknown outcome is sent again with the same messageId');
  check(t.messages.some((m) => textOf(m.parts).startsWith('outcome_unknown')), 'the task says the outcome was unknown');

  // HTTP+JSON: streamed echo, then cancel during work.
  id = await task(rester.cardUrl, 'echo: rest');
  t = await until(id, ended, 'the HTTP+JSON echo');
  check(t.state === 'completed' && artifactText(t, 'echo') === 'echo: rest', 'an HTTP+JSON task completes');
  id = await task(rester.cardUrl, 'slow');
  t = await until(id, (x) => remoteId(x) && x.messages.some((m) => textOf(m.parts) === 'started'), 'rest slow');
  await call('POST', `/v1/agents/${agent}/tasks/${id}/cancel`, {});
  for (let i = 0; i < 1500 && !canceled.has(remoteId(t)); ++i) await sleep(20);
  check(canceled.has(remoteId(t)), 'a cancel reaches an HTTP+JSON agent');

  // The address rule: a link-local card is never fetched.
  id = await task('http://169.254.169.254/.well-known/agent-card.json', 'echo: x');
  t = await until(id, ended, 'the forbidden card');
  check(t.state === 'failed' && /not a public address/.test(t.reason), 'a link-local agent card is refused');

  const removed = await call('DELETE', '/v1/a2a/credentials/streamer', undefined, adminToken);
  check(removed.status === 200, 'a credential is removed');
} finally {
  for (const res of waiting.values()) res();
  for (const a of [streamer, poller, rester]) {
    a.server.close();
    a.server.closeAllConnections?.();
  }
}

// The A2A benchmark (scripts/bench.sh, issue 14): the same echo agent twice,
// called by the pinned @a2a-js/sdk JSON-RPC client with blocking SendMessage:
//   agentmesh  behind a daemon's A2A gateway; its worker (in this process)
//              takes each task from the agent's task event stream and
//              accepts and completes it through the local API, the input as
//              its artifact; every step is durable (fsync) in the daemon;
//   sdk        @a2a-js/sdk's own server (express, DefaultRequestHandler,
//              InMemoryTaskStore) with an executor that completes at once.
// Phases per target: round trips at 100 requests/s for SECONDS (p50, p99),
// then completed tasks per second with 16 clients each calling in a loop.
// Prints key=value lines. Usage: node bench-a2a.mjs AGENTMESH_BINARY SECONDS
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { A2A_PROTOCOL_VERSION, AGENT_CARD_PATH, Role, TaskState } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { ClientFactory, JsonRpcTransportFactory } from '@a2a-js/sdk/client';

const [binary, secondsArg] = process.argv.slice(2);
if (!binary) throw new Error('usage: node bench-a2a.mjs AGENTMESH_BINARY SECONDS');
const seconds = Number(secondsArg ?? 5);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// --- the SDK's echo server ---
async function sdkServer() {
  const card = {
    name: 'echo', description: 'Echoes its input as an artifact.', version: '1.0.0',
    supportedInterfaces: [{ url: 'http://127.0.0.1:0/', protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION }],
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {}, securityRequirements: [], defaultInputModes: ['text'], defaultOutputModes: ['text'],
    skills: [{ id: 'echo', name: 'echo', description: 'echo', tags: ['echo'], examples: [], inputModes: ['text'],
               outputModes: ['text'], securityRequirements: [] }],
    documentationUrl: '', signatures: [],
  };
  const executor = {
    async execute(ctx, bus) {
      const m = ctx.userMessage;
      const now = () => new Date().toISOString();
      bus.publish(AgentEvent.task({ id: ctx.taskId, contextId: ctx.contextId,
        status: { state: TaskState.TASK_STATE_SUBMITTED, timestamp: now(), message: undefined },
        artifacts: [], history: [m], metadata: m.metadata }));
      bus.publish(AgentEvent.artifactUpdate({ taskId: ctx.taskId, contextId: ctx.contextId,
        artifact: { artifactId: 'echo', name: 'echo', description: '', parts: m.parts, metadata: undefined, extensions: [] },
        lastChunk: true, append: false, metadata: undefined }));
      bus.publish(AgentEvent.statusUpdate({ taskId: ctx.taskId, contextId: ctx.contextId,
        status: { state: TaskState.TASK_STATE_COMPLETED, timestamp: now(), message: undefined }, metadata: undefined }));
    },
    cancelTask: async () => {},
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  const app = express();
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: handler }));
  app.use(jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  const server = await new Promise((res) => { const s = app.listen(0, '127.0.0.1', () => res(s)); });
  card.supportedInterfaces[0].url = `http://127.0.0.1:${server.address().port}/`;
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

// --- agentmesh: a daemon, the published echo agent, its worker ---
async function daemon() {
  const dir = mkdtempSync(join(tmpdir(), 'a2a-bench-'));
  const data = join(dir, 'data');
  // All clients share one address: the gateway's per-address limits (50 requests/s) would measure themselves.
  const config = join(dir, 'agentmesh.toml');
  writeFileSync(config, '[a2a]\nrequests_per_second_per_address = 1000000\nrequest_burst_per_address = 1000000\n' +
                        'max_connections_per_address = 1024\n');
  const proc = spawn(binary, ['daemon', '--data-dir', data, '--api', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0',
                              '--a2a', '127.0.0.1:0', '--config', config, '--log-level', 'warn'], { stdio: 'ignore' });
  process.on('exit', () => proc.kill('SIGKILL'));
  const port = async (file) => {
    for (let i = 0; i < 500 && !existsSync(join(data, file)); ++i) await sleep(20);
    const text = readFileSync(join(data, file), 'utf8').trim();
    return text.slice(text.lastIndexOf(':') + 1);
  };
  const api = `http://127.0.0.1:${await port('api.port')}`;
  const a2a = `http://127.0.0.1:${await port('a2a.port')}`;
  const admin = readFileSync(join(data, 'api-token'), 'utf8').trim();
  const call = async (method, path, body, token = admin) => {
    const r = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                                            body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return JSON.parse(text);
  };
  const agent = await call('POST', '/v1/agents', { name: 'echo' });
  await call('PATCH', '/v1/agents/echo', { a2a: { enabled: true, description: 'Echoes its input as an artifact.' } });
  const { token } = await call('POST', '/v1/agents/echo/a2a/tokens', { label: 'bench' });
  const worker = startWorker(api, agent.token, call);
  return { proc, dir, a2a, token, worker, url: `${a2a}/agents/echo/` };
}

// The worker: each new task on the agent's task event stream is accepted and completed at once.
function startWorker(api, token, call) {
  const abort = new AbortController();
  const done = (async () => {
    const r = await fetch(`${api}/v1/agents/echo/tasks/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done: end } = await reader.read().catch(() => ({ done: true }));
      if (end) return;
      buf += decoder.decode(value, { stream: true });
      for (let at = buf.indexOf('\n\n'); at >= 0; at = buf.indexOf('\n\n')) {
        const frame = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('');
        if (!data) continue;
        const e = JSON.parse(data);
        // A task made on this daemon arrives as `created`, one from another daemon as `offered`.
        if (!['created', 'offered'].includes(e.kind) || !e.task || e.state !== 'submitted') continue;
        const base = `/v1/agents/echo/tasks/${e.task_id}`;
        (async () => {
          await call('POST', `${base}/accept`, {}, token);
          await call('POST', `${base}/complete`, { artifacts: [{ name: 'echo', index: 0, last: true, parts: e.task.input }] }, token);
        })().catch((err) => { console.error(`worker: ${err.message}`); process.exit(1); });
      }
    }
  })();
  return { stop: () => abort.abort(), done };
}

// --- the load ---
async function client(url, token) {
  const fetchImpl = token ? (u, init) => fetch(u, { ...init, headers: { ...(init?.headers ?? {}), authorization: `Bearer ${token}` } })
                          : fetch;
  return new ClientFactory({ transports: [new JsonRpcTransportFactory({ fetchImpl })] }).createFromUrl(url);
}
let sent = 0;
async function once(c) {
  const t0 = performance.now();
  const task = await c.sendMessage({ message: { messageId: crypto.randomUUID(), role: Role.ROLE_USER,
                                                parts: [{ content: { $case: 'text', value: `echo ${++sent}` } }] } });
  if (task.status.state !== TaskState.TASK_STATE_COMPLETED) throw new Error(`not completed: ${task.status.state}`);
  return performance.now() - t0;
}
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function latency(c, rate) {
  const samples = [];
  const pending = [];
  const start = performance.now();
  for (let i = 0; performance.now() - start < seconds * 1000; ++i) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(once(c).then((ms) => samples.push(ms)));
  }
  await Promise.all(pending);
  samples.sort((a, b) => a - b);
  return { p50: pct(samples, 0.5), p99: pct(samples, 0.99), n: samples.length };
}

async function throughput(clients) {
  let completed = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(clients.map(async (c) => { while (performance.now() < end) { await once(c); ++completed; } }));
  return completed / seconds;
}

async function measure(name, url, token) {
  const clients = await Promise.all(Array.from({ length: 16 }, () => client(url, token)));
  for (let i = 0; i < 50; ++i) await once(clients[0]);  // warm up
  const l = await latency(clients[0], 100);
  const t = await throughput(clients);
  console.log(`${name}_p50_ms=${l.p50.toFixed(3)}`);
  console.log(`${name}_p99_ms=${l.p99.toFixed(3)}`);
  console.log(`${name}_samples=${l.n}`);
  console.log(`${name}_tasks_per_s=${t.toFixed(1)}`);
}

async function main() {
  const sdk = await sdkServer();
  await measure('sdk', sdk.url);
  sdk.server.close();
  const d = await daemon();
  try {
    await measure('agentmesh', d.url, d.token);
  } finally {
    d.worker.stop();
    d.proc.kill('SIGTERM');
    await new Promise((res) => d.proc.on('exit', res));
    rmSync(d.dir, { recursive: true, force: true });
  }
  console.log(`seconds=${seconds}`);
  console.log('clients=16');
  console.log('rate=100');
}

main().then(() => process.exit(0), (e) => { console.error(e.stack ?? String(e)); process.exit(1); });

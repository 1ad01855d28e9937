// `agentmesh mcp` driven by the pinned @modelcontextprotocol/sdk client (run by
// tests/interop/mcp_test.cpp). Starts two daemons on 127.0.0.1 in $MCP_DIR (the
// test kills this script's process group afterwards, so nothing outlives it),
// then two MCP servers acting as alice (daemon a) and bob (daemon b):
// schemas, messages, a task from create to complete, wait_for_messages with
// progress, resource update notifications, bad arguments, cancellation, and the daemon
// killed and restarted under a running server.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import Ajv from 'ajv';
import { BIN, DIR, api, check, checksPassed, data, eventually, mcpArgs, startDaemon } from './mcp-harness.mjs';

async function connect(name, agent, extra = []) {
  const transport = new StdioClientTransport({
    command: BIN, args: mcpArgs(name, agent, extra),
    stderr: 'pipe',
  });
  const client = new Client({ name: 'agentmesh-interop', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const daemons = [];
try {
  daemons.push(startDaemon('a'));
  const nodeA = await eventually(() => api('a', '/v1/node'), 'daemon a');
  const bArgs = ['--bootstrap', nodeA.listen_addrs[0]];
  daemons.push(startDaemon('b', bArgs));
  await eventually(() => api('b', '/v1/health'), 'daemon b');

  const alice = await connect('a', 'alice');
  const bob = await connect('b', 'bob', ['--capability', 'translate']);
  check(alice.getServerVersion().name === 'agentmesh', 'server info');
  check(alice.getServerCapabilities().resources.subscribe === true, 'resources can be subscribed');

  // Every tool has valid input and output JSON Schemas and annotations.
  const { tools } = await alice.listTools();
  const names = tools.map((t) => t.name).sort();
  const expected = ['accept_task', 'ack', 'answer_task', 'cancel_task', 'check_inbox', 'complete_task',
    'create_task', 'fail_task', 'find_agents', 'get_conversation', 'get_task', 'list_conversations', 'list_tasks',
    'publish', 'reject_task', 'reply', 'send_message', 'subscribe_topic', 'unsubscribe_topic', 'update_task',
    'wait_for_messages', 'wait_for_task', 'whoami'];
  check(JSON.stringify(names) === JSON.stringify(expected), `tool names: ${names}`);
  const ajv = new Ajv({ strict: false });
  for (const t of tools) {
    ajv.compile(t.inputSchema);
    ajv.compile(t.outputSchema);
    if (typeof t.annotations?.readOnlyHint !== 'boolean' || !t.description) throw new Error(`tool ${t.name}`);
  }
  check(true, 'every schema compiles');

  const me = data(await alice.callTool({ name: 'whoami', arguments: {} }));
  const bobId = data(await bob.callTool({ name: 'whoami', arguments: {} })).agent_id;
  check(me.name === 'alice' && me.agent_id.length === 64, 'whoami');
  await eventually(async () => data(await alice.callTool({ name: 'find_agents',
    arguments: { capability: 'translate' } })).agents.some((a) => a.agent_id === bobId), 'bob in a\'s directory');
  check(true, 'find_agents finds bob on the other daemon');

  // wait_for_messages on bob: progress after 10 s, then alice's message arrives.
  let progressed = false;
  const waiting = bob.callTool({ name: 'wait_for_messages', arguments: { timeout_s: 40 } }, undefined, {
    onprogress: () => { progressed = true; }, timeout: 60000,
  });
  await eventually(() => progressed, 'a progress notification', 20000);
  check(true, 'wait_for_messages sends progress');
  const sent = data(await alice.callTool({ name: 'send_message', arguments: { to: bobId, text: 'hello bob',
    conversation_id: 'c1', reply_with: 'q1', wait_for_ack: true } }));
  check(sent.state === 'accepted', `send across daemons: ${sent.state}`);
  const got = data(await waiting);
  check(got.messages.length === 1 && got.messages[0].body === 'hello bob' && !got.timed_out, 'wait returns it');

  // Alice subscribes to her inbox; bob's reply makes it change.
  const updates = [];
  alice.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { updates.push(n.params.uri); });
  await alice.subscribeResource({ uri: 'agentmesh://inbox' });
  await alice.subscribeResource({ uri: 'agentmesh://conversations/c1' });
  const r = data(await bob.callTool({ name: 'reply', arguments: { in_reply_to: 'q1', text: 'hi alice' } }));
  check(r.state === 'accepted' || r.state === 'queued' || r.state === 'sending', 'reply');
  await eventually(() => updates.includes('agentmesh://inbox') && updates.includes('agentmesh://conversations/c1'),
    'resource updates');
  check(true, 'resource update notifications');
  const inbox = JSON.parse((await alice.readResource({ uri: 'agentmesh://inbox' })).contents[0].text);
  check(inbox.messages.some((m) => m.body === 'hi alice'), 'read the inbox resource');
  const conv = data(await alice.callTool({ name: 'get_conversation', arguments: { conversation_id: 'c1' } }));
  check(conv.messages.length === 2, 'the conversation has both messages');
  check(data(await bob.callTool({ name: 'ack', arguments: { up_to: got.cursor } })).acked_seq === got.cursor, 'ack');

  // A task from create to complete, across the daemons.
  const task = data(await alice.callTool({ name: 'create_task', arguments: { capability: 'translate',
    text: 'bonjour' } }));
  check(task.state === 'submitted', 'create_task');
  const offered = await eventually(async () => data(await bob.callTool({ name: 'list_tasks',
    arguments: { role: 'assignee' } })).tasks.find((t) => t.task_id === task.task_id), 'the offer at bob');
  check(offered.input[0].text === 'bonjour', 'the offer carries the input');
  check(data(await bob.callTool({ name: 'accept_task', arguments: { task_id: task.task_id } })).state === 'working',
    'accept_task');
  await bob.callTool({ name: 'update_task', arguments: { task_id: task.task_id, percent: 50, text: 'halfway' } });
  const done = data(await bob.callTool({ name: 'complete_task', arguments: { task_id: task.task_id,
    text: 'hello', idempotency_key: 'done-1' } }));
  check(done.state === 'completed', 'complete_task');
  const result = data(await alice.callTool({ name: 'wait_for_task', arguments: { task_id: task.task_id,
    timeout_s: 20 } }));
  check(result.state === 'completed' && result.artifacts[0].parts[0].text === 'hello', 'wait_for_task: the result');
  const res = JSON.parse((await alice.readResource({ uri: `agentmesh://tasks/${task.task_id}` })).contents[0].text);
  check(res.state === 'completed', 'read the task resource');

  // A task for an A2A agent outside the mesh goes to the daemon's outbound client; here the address rule refuses a
  // link-local card, so it fails with that reason. An unknown credential makes no task.
  const outside = data(await alice.callTool({ name: 'create_task', arguments: {
    to: 'a2a:http://169.254.169.254/.well-known/agent-card.json', text: 'x' } }));
  const refused = data(await alice.callTool({ name: 'wait_for_task', arguments: { task_id: outside.task_id,
    timeout_s: 20 } }));
  check(refused.state === 'failed' && /not a public address/.test(refused.reason), 'create_task: an A2A agent');
  const nocred = await alice.callTool({ name: 'create_task', arguments: {
    to: 'a2a:http://169.254.169.254/.well-known/agent-card.json', text: 'x', credential: 'nope' } });
  check(nocred.isError && nocred._meta['agentmesh/error'].error === 'invalid_field', 'create_task: a bad credential');

  // Bad arguments: an isError result with a stable code; unknown tools are protocol errors.
  const bad = await alice.callTool({ name: 'send_message', arguments: { to: bobId } });
  check(bad.isError === true && bad._meta['agentmesh/error'].error === 'invalid_argument', 'bad arguments');
  const unknown = await alice.callTool({ name: 'send_message', arguments: { to: 'nobody-here', text: 'x' } });
  check(unknown.isError && unknown._meta['agentmesh/error'].error === 'unknown_recipient', 'daemon errors');
  let threw = false;
  try { await alice.callTool({ name: 'no_such_tool', arguments: {} }); } catch (e) { threw = e.code === -32602; }
  check(threw, 'an unknown tool is -32602');

  // A cancelled call (notifications/cancelled) ends; the server goes on.
  const ac = new AbortController();
  const pending = bob.callTool({ name: 'wait_for_messages', arguments: { after: 1000000, timeout_s: 50 } },
    undefined, { signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  let aborted = false;
  try { await pending; } catch { aborted = true; }
  check(aborted && !data(await bob.callTool({ name: 'whoami', arguments: {} })).error, 'cancellation');

  // Kill daemon b under bob's server: a clear error naming the data dir; after a restart, it works again.
  daemons[1].kill('SIGKILL');
  await new Promise((res) => daemons[1].once('exit', res));
  const down = await bob.callTool({ name: 'whoami', arguments: {} });
  check(down.isError && down._meta['agentmesh/error'].error === 'daemon_unavailable' &&
    down._meta['agentmesh/error'].message.includes(`${DIR}/b`), `daemon down: ${JSON.stringify(down.content)}`);
  daemons[1] = startDaemon('b', bArgs);
  const back = await eventually(async () => {
    const w = await bob.callTool({ name: 'whoami', arguments: {} });
    return !w.isError && data(w);
  }, 'bob after the restart');
  check(back.agent_id === bobId, 'the server recovers after the daemon restarts');

  await alice.close();
  await bob.close();
  console.log(`mcp interop: ${checksPassed()} checks passed`);
} finally {
  for (const d of daemons) d.kill('SIGKILL');
}

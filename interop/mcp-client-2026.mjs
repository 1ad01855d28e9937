// `agentmesh mcp` driven by @modelcontextprotocol/client 2.4.0 pinned to the
// stateless revision 2026-07-28 (server/discover, the version in every request's
// _meta), run by tests/interop/mcp_test.cpp: the same flows as mcp-client.mjs,
// resource updates through subscriptions/listen. Two daemons on 127.0.0.1 in
// $MCP_DIR; the test kills this script's process group afterwards.
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { BIN, api, check, checksPassed, data, eventually, mcpArgs, startDaemon } from './mcp-harness.mjs';

async function connect(name, agent, extra = []) {
  const transport = new StdioClientTransport({
    command: BIN, args: mcpArgs(name, agent, extra),
    stderr: 'pipe',
  });
  const client = new Client({ name: 'agentmesh-interop-2026', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(transport);
  return client;
}

const daemons = [];
try {
  daemons.push(startDaemon('a'));
  const nodeA = await eventually(() => api('a', '/v1/node'), 'daemon a');
  daemons.push(startDaemon('b', ['--bootstrap', nodeA.listen_addrs[0]]));
  await eventually(() => api('b', '/v1/health'), 'daemon b');

  const alice = await connect('a', 'alice');
  const bob = await connect('b', 'bob', ['--capability', 'translate']);
  check(alice.getNegotiatedProtocolVersion() === '2026-07-28', `negotiated ${alice.getNegotiatedProtocolVersion()}`);

  const { tools } = await alice.listTools();
  check(tools.length === 23 && tools.every((t) => t.inputSchema && t.outputSchema && t.annotations), 'tools');
  const bobId = data(await bob.callTool({ name: 'whoami', arguments: {} })).agent_id;
  check(bobId.length === 64, 'whoami');
  await eventually(async () => data(await alice.callTool({ name: 'find_agents',
    arguments: { capability: 'translate' } })).agents.some((a) => a.agent_id === bobId), 'bob in a\'s directory');

  let progressed = false;
  const waiting = bob.callTool({ name: 'wait_for_messages', arguments: { timeout_s: 40 } }, {
    onprogress: () => { progressed = true; }, timeout: 60000,
  });
  await eventually(() => progressed, 'a progress notification', 20000);
  check(true, 'wait_for_messages sends progress');
  const sent = data(await alice.callTool({ name: 'send_message', arguments: { to: bobId, text: 'hello bob',
    wait_for_ack: true } }));
  check(sent.state === 'accepted', `send: ${sent.state}`);
  const got = data(await waiting);
  check(got.messages[0].body === 'hello bob', 'wait returns the message');

  // Resource updates through subscriptions/listen: alice's inbox changes when bob replies.
  const updates = [];
  alice.setNotificationHandler('notifications/resources/updated', (n) => { updates.push(n.params.uri); });
  const sub = await alice.listen({ resourceSubscriptions: ['agentmesh://inbox', 'not-ours://x'] });
  check(JSON.stringify(sub.honoredFilter.resourceSubscriptions) === '["agentmesh://inbox"]',
    `honored filter: ${JSON.stringify(sub.honoredFilter)}`);
  await bob.callTool({ name: 'send_message', arguments: { to: data(await alice.callTool({ name: 'whoami',
    arguments: {} })).agent_id, text: 'hi alice' } });
  await eventually(() => updates.includes('agentmesh://inbox'), 'a resource update on the listen stream');
  check(true, 'resource updates arrive on subscriptions/listen');
  await sub.close();
  check((await sub.closed) === 'local', 'the subscription closes');

  const task = data(await alice.callTool({ name: 'create_task', arguments: { capability: 'translate',
    text: 'bonjour' } }));
  await eventually(async () => data(await bob.callTool({ name: 'list_tasks', arguments: { role: 'assignee' } }))
    .tasks.some((t) => t.task_id === task.task_id), 'the offer at bob');
  await bob.callTool({ name: 'accept_task', arguments: { task_id: task.task_id } });
  await bob.callTool({ name: 'complete_task', arguments: { task_id: task.task_id, text: 'hello' } });
  const result = data(await alice.callTool({ name: 'wait_for_task', arguments: { task_id: task.task_id } }));
  check(result.state === 'completed' && result.artifacts[0].parts[0].text === 'hello', 'the task completes');
  const res = await alice.readResource({ uri: `agentmesh://tasks/${task.task_id}` });
  check(JSON.parse(res.contents[0].text).state === 'completed', 'read a resource');

  const bad = await alice.callTool({ name: 'send_message', arguments: { to: bobId } });
  check(bad.isError === true, 'bad arguments are an isError result');
  await alice.close();
  await bob.close();
  console.log(`mcp 2026-07-28 interop: ${checksPassed()} checks passed`);
} finally {
  for (const d of daemons) d.kill('SIGKILL');
}

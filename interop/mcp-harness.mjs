// Shared by the MCP interop scripts (mcp-client.mjs, mcp-client-2026.mjs):
// counted checks, polling with a deadline, and daemons on 127.0.0.1 in $MCP_DIR.
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const BIN = process.env.AGENTMESH_BINARY;
export const DIR = process.env.MCP_DIR;
let checks = 0;
export const checksPassed = () => checks;
export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  checks++;
}
export async function eventually(probe, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
export function startDaemon(name, extra = []) {
  return spawn(BIN, ['daemon', '--data-dir', `${DIR}/${name}`, '--api', '127.0.0.1:0', '--listen',
    '/ip4/127.0.0.1/tcp/0', ...extra], { stdio: ['ignore', 'ignore', openSync(`${DIR}/${name}.log`, 'a')] });
}
export async function api(name, path) {
  try {
    const port = readFileSync(`${DIR}/${name}/api.port`, 'utf8').trim();
    const token = readFileSync(`${DIR}/${name}/api-token`, 'utf8').trim();
    const r = await fetch(`http://${port}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return r.ok ? await r.json() : null;
  } catch { return null; }
}
export const mcpArgs = (name, agent, extra = []) =>
  ['mcp', '--data-dir', `${DIR}/${name}`, '--agent', agent, '--create', '--no-spawn', ...extra];
export const data = (r) => r.structuredContent;

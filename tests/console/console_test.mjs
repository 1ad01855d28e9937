// The web console in a real browser: Debian's Chromium driven by
// playwright-core, against two daemons on 127.0.0.1 in a temporary directory.
//
// usage: node console_test.mjs AGENTMESH_BINARY REPO_ROOT SCREENSHOT_DIR
//
// Everything it starts (daemons, the browser, the directory) is removed at
// the end, also on failure. Waits poll with a deadline; to show that nothing
// ran, it waits for a sentinel rendered after the hostile message.
import assert from 'node:assert/strict';
import {spawn, execFileSync} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';

const [BIN, ROOT, SHOTS] = process.argv.slice(2);
const {chromium} = createRequire(path.join(ROOT, 'interop', 'package.json'))('playwright-core');
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'agentmesh-console-'));
const daemons = [];
let browser = null;
let page = null;
let checks = 0;

function check(cond, what) {
  assert.ok(cond, what);
  checks += 1;
}

// Waits for `locator` to show, then counts it as a check (a timeout fails the test).
async function seen(locator, what) {
  await locator.waitFor();
  check(await locator.isVisible(), what);
}

async function until(what, fn, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startDaemon(name, extra = []) {
  const dir = path.join(DIR, name);
  fs.mkdirSync(dir, {mode: 0o700});
  const proc = spawn(BIN, ['daemon', '--data-dir', dir, '--api', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0',
    '--log-level', 'warn', ...extra], {stdio: ['ignore', 'ignore', 'inherit']});
  daemons.push(proc);
  const api = await until(`${name} api.port`, async () => fs.readFileSync(path.join(dir, 'api.port'), 'utf8').trim());
  const token = fs.readFileSync(path.join(dir, 'api-token'), 'utf8').trim();
  const call = async (method, p, body, headers = {}) => {
    const r = await fetch(`http://${api}${p}`, {method, headers: {Authorization: `Bearer ${token}`,
      ...(body ? {'Content-Type': 'application/json'} : {}), ...headers}, body: body ? JSON.stringify(body) : undefined});
    return {status: r.status, json: await r.json().catch(() => null)};
  };
  const node = await until(`${name} node`, async () => (await call('GET', '/v1/node')).json);
  return {name, dir, api, token, call, node};
}

function loginLink(d) {
  return execFileSync(BIN, ['ui', '--no-open', '--data-dir', d.dir], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
}

async function shoot(page, name) {
  for (const [w, h] of [[1280, 860], [390, 844]]) {
    await page.setViewportSize({width: w, height: h});
    await page.screenshot({path: path.join(SHOTS, `${name}-${w}.png`), fullPage: true});
  }
  await page.setViewportSize({width: 1280, height: 860});
}

async function refusals(a) {
  // No session cookie: refused. A session cookie without the CSRF token: refused.
  const bare = await fetch(`http://${a.api}/v1/agents`);
  check(bare.status === 401, 'no cookie, no token: 401');
  const link = loginLink(a);
  const code = link.split('#code=')[1];
  const login = await fetch(`http://${a.api}/ui/session`, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({code})});
  check(login.status === 201, 'the code logs in');
  const cookie = login.headers.get('set-cookie').split(';')[0];
  check(/HttpOnly/.test(login.headers.get('set-cookie')) && /SameSite=Strict/.test(login.headers.get('set-cookie')),
      'the cookie is HttpOnly and SameSite=Strict');
  const {csrf} = await login.json();
  const again = await fetch(`http://${a.api}/ui/session`, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({code})});
  check(again.status === 401 && (await again.json()).error === 'invalid_login_code', 'a code works once');
  const read = await fetch(`http://${a.api}/v1/agents`, {headers: {Cookie: cookie}});
  check(read.status === 200, 'the cookie reads');
  const post = (headers) => fetch(`http://${a.api}/v1/agents`, {method: 'POST',
    headers: {Cookie: cookie, 'Content-Type': 'application/json', ...headers}, body: JSON.stringify({name: 'nocsrf'})});
  const noCsrf = await post({});
  check(noCsrf.status === 403 && (await noCsrf.json()).error === 'csrf_failed', 'a write without the CSRF token: 403');
  const otherOrigin = await post({'X-CSRF-Token': csrf, Origin: 'http://evil.example'});
  check(otherOrigin.status === 403, 'a write from another origin: 403');
  check((await a.call('GET', '/v1/agents/nocsrf')).status === 404, 'the refused writes created nothing');
  // fetch() will not send a Host of its own choosing: a raw request, as a rebinding page's would arrive.
  const [host, port] = a.api.split(':');
  const rebinding = await new Promise((resolve, reject) => {
    http.get({host, port, path: '/v1/health', headers: {Host: 'evil.example'}}, (r) => {
      r.resume();
      resolve(r.statusCode);
    }).on('error', reject);
  });
  check(rebinding === 421, 'a foreign Host header: 421');
  const withCsrf = await post({'X-CSRF-Token': csrf});
  check(withCsrf.status === 201, 'a write with the CSRF token works');
  await a.call('DELETE', '/v1/agents/nocsrf');
}

async function expiredCode(page, a) {
  // A code is good for 60 s; a spent code shows the same refusal page as an
  // expired one (the daemon cannot tell them apart from outside).
  const link = loginLink(a);
  const code = link.split('#code=')[1];
  await fetch(`http://${a.api}/ui/session`, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({code})});
  await page.goto(link);
  await seen(page.getByText('That login link is used or expired.'), 'a spent code is refused in the browser');
}

// Presses Tab until `want(focused element)` holds (at most `max` times); returns what has focus.
async function tabTo(page, what, want, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const e = document.activeElement;
      return {tag: e.tagName, id: e.id, text: e.textContent.trim(), href: e.getAttribute('href'),
        outline: getComputedStyle(e).outlineStyle};
    });
    if (want(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

// The console without a mouse: the skip link first, the sections from the keyboard, a form filled and sent.
async function keyboardOnly(page, a) {
  await page.goto('about:blank');
  await page.goto(`http://${a.api}/ui/#/overview`);
  await page.locator('.card .big').first().waitFor();
  const skip = await tabTo(page, 'the skip link', (f) => f.tag === 'A', 1);
  check(skip.text === 'Skip to content', `the first Tab stop is the skip link (${skip.text})`);
  const nav = await tabTo(page, 'the Agents section', (f) => f.href === '#/agents');
  check(nav.outline !== 'none', 'the focused control shows an outline');
  await page.keyboard.press('Enter');
  await page.locator('#new-agent-name').waitFor();
  check(page.url().endsWith('#/agents'), 'Enter on a section opens it');
  await tabTo(page, 'the name field', (f) => f.id === 'new-agent-name');
  await page.keyboard.type('dave');
  await page.keyboard.press('Tab');
  await page.keyboard.type('review');
  await page.keyboard.press('Enter');
  await seen(page.locator('.secret').getByText('Token for dave'), 'an agent created from the keyboard alone');
  const copy = await tabTo(page, 'the token\'s Copy button', (f) => f.tag === 'BUTTON' && f.text === 'Copy');
  check(copy.outline !== 'none', 'buttons show focus too');
}

async function run() {
  fs.mkdirSync(SHOTS, {recursive: true});
  const a = await startDaemon('a');
  const b = await startDaemon('b', ['--bootstrap', a.node.listen_addrs[0]]);
  await refusals(a);

  browser = await chromium.launch({executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu',
    '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']});
  const context = await browser.newContext({viewport: {width: 1280, height: 860}});
  page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.accept();
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await expiredCode(page, a);

  // Log in through the one-time link: the code leaves the address bar, the token never shows.
  // A fresh context, so the first load's bytes are all counted (nothing cached).
  const fresh = await browser.newContext({viewport: {width: 1280, height: 860}});
  const first = await fresh.newPage();
  const bodies = [];
  first.on('response', (r) => bodies.push(r.body().then((b) => b.length, () => 0)));
  const started = Date.now();
  await first.goto(loginLink(a));
  await first.locator('.card .big').first().waitFor();
  const overviewMs = Date.now() - started;
  await first.waitForLoadState('networkidle').catch(() => {});
  const firstLoadBytes = (await Promise.all(bodies)).reduce((x, y) => x + y, 0);
  check(firstLoadBytes > 0 && firstLoadBytes < 300 * 1024, `the first load transfers ${firstLoadBytes} bytes (< 300 KB)`);
  await fresh.close();
  await page.goto(loginLink(a));
  await page.locator('.card .big').first().waitFor();
  check(!page.url().includes('code='), 'the code is gone from the address bar');
  const storage = await page.evaluate(() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage}) + document.cookie);
  check(!storage.includes(a.token), 'the admin token is in no page storage');
  check(!storage.includes('agentmesh_session'), 'the session cookie is not readable from script (HttpOnly)');
  await page.locator('.charts .uplot').first().waitFor();

  // Two agents, created in the Agents view.
  await page.click('a[href="#/agents"]');
  for (const name of ['alice', 'bob']) {
    await page.fill('#new-agent-name', name);
    await page.fill('#new-agent-caps', name === 'bob' ? 'translate' : 'summarize');
    await page.click('button:has-text("Create agent")');
    await page.locator('.secret').getByText(`Token for ${name}`).waitFor();
  }
  await page.locator('td a', {hasText: 'bob'}).waitFor();
  await shoot(page, 'agents');
  await keyboardOnly(page, a);

  // Bob's inbox open live; alice sends from another tab's worth of API: it appears without a reload.
  await page.goto(`http://${a.api}/ui/#/inbox/bob`);
  await page.locator('#send-to').waitFor();
  const alice = (await a.call('GET', '/v1/agents/alice')).json;
  const bob = (await a.call('GET', '/v1/agents/bob')).json;
  const sent = await a.call('POST', `/v1/agents/alice/messages`, {to: 'bob', body: 'hello from alice', performative: 'inform'});
  check(sent.status === 202, 'alice sends');
  await seen(page.locator('#inbox-rows tr', {hasText: 'hello from alice'}), 'the message appears live');

  // A hostile body renders as text and runs nothing; a sentinel after it shows rendering finished.
  await page.evaluate(() => {
    window.pwned = false;
  });
  await a.call('POST', `/v1/agents/alice/messages`, {to: 'bob', body: '<img src=x onerror="window.pwned=true;alert(1)">'});
  await a.call('POST', `/v1/agents/alice/messages`, {to: 'bob', body: 'sentinel'});
  await page.locator('#inbox-rows tr', {hasText: 'sentinel'}).waitFor();
  check(await page.locator('#inbox-rows', {hasText: '<img src=x onerror'}).count() === 1, 'the markup shows as text');
  check(await page.locator('#inbox-rows img').count() === 0, 'no img element was created');
  check(!(await page.evaluate(() => window.pwned)) && dialogs.length === 0, 'no script ran');

  // Send from the form (as bob, to alice), then ack bob's inbox up to the sentinel.
  await page.fill('#send-to', 'alice');
  await page.fill('#send-body', 'reply from the console');
  await page.click('button:has-text("Send as bob")');
  check(await until('alice received the reply', async () => {
    const r = await a.call('GET', '/v1/agents/alice/inbox');
    return r.json.messages.some((m) => m.body === 'reply from the console' && m.from === bob.agent_id);
  }), 'the send form delivers');
  await page.locator('#inbox-rows tr', {hasText: 'sentinel'}).getByRole('button', {name: /Ack up to/}).click();
  await until('bob acked 3', async () => (await a.call('GET', '/v1/agents/bob')).json.acked_seq === 3);
  await seen(page.locator('#inbox-rows tr', {hasText: 'sentinel'}).getByText('acked'), 'ack from the inbox view');
  await shoot(page, 'inbox');

  // A conversation as a thread: bob's reply sits under alice's question.
  await a.call('POST', '/v1/agents/alice/messages', {to: 'bob', body: 'what is the price?', conversation_id: 'deal-7',
    reply_with: 'q1', performative: 'query-ref'});
  await a.call('POST', '/v1/agents/bob/messages', {in_reply_to: 'q1', body: 'ten', performative: 'inform-ref'});
  await a.call('POST', '/v1/agents/alice/messages', {to: 'bob', body: 'new topic', conversation_id: 'deal-7'});
  await page.goto(`http://${a.api}/ui/#/conversations/alice/deal-7`);
  await page.locator('#conv-thread li', {hasText: 'new topic'}).waitFor();
  const thread = await page.locator('#conv-thread li').evaluateAll((els) => els.map((e) => [e.textContent, e.style.marginLeft]));
  check(thread.length === 3 && thread[0][0].includes('what is the price?') && thread[1][0].includes('ten') &&
      thread[1][1] === '24px' && thread[2][0].includes('new topic') && thread[2][1] === '0px',
  `the reply is threaded under its question (${JSON.stringify(thread)})`);
  await page.locator('#conv-list a', {hasText: 'deal-7'}).waitFor();
  await shoot(page, 'conversations');

  // A task through its states on the board: bob asks alice; alice's board moves.
  await page.goto(`http://${a.api}/ui/#/tasks/alice`);
  await page.locator('#task-board [data-column="submitted"]').waitFor();
  const task = (await a.call('POST', '/v1/agents/bob/tasks', {to: 'alice', input: [{kind: 'text', text: 'summarize this'}]})).json;
  const card = () => page.locator(`[data-task="${task.task_id}"]`);
  await page.locator(`[data-column="submitted"] [data-task="${task.task_id}"]`).waitFor();
  await card().getByRole('button', {name: 'accept'}).click();
  await page.locator(`[data-column="working"] [data-task="${task.task_id}"]`).waitFor();
  const chunk = await a.call('POST', `/v1/agents/alice/tasks/${task.task_id}/progress`, {percent: 50,
    artifacts: [{name: 'summary', index: 0, parts: [{kind: 'text', text: 'part one <b>bold?</b>'}]}]});
  check(chunk.status === 200, 'a progress step with an artifact chunk');
  await card().getByRole('button', {name: 'complete'}).click();
  await page.locator(`[data-column="completed"] [data-task="${task.task_id}"]`).waitFor();
  await card().locator('a').click();
  await page.locator('#task-timeline tr', {hasText: 'completed'}).waitFor();
  const steps = await page.locator('#task-timeline tbody tr td:nth-child(3)').allTextContents();
  check(steps.join(',') === 'created,accepted,progress,completed', `the timeline shows every step (${steps})`);
  const actors = await page.locator('#task-timeline tbody tr td:nth-child(5)').allTextContents();
  const shortId = (id) => `${id.slice(0, 8)}…${id.slice(-4)}`;
  check(actors[0] === shortId(task.requester) && actors.slice(1).every((x) => x === shortId(task.assignee)),
      `each step's actor: the requester created it, the assignee did the rest (${actors})`);
  await seen(page.locator('#task-artifacts [data-artifact="summary"]', {hasText: 'part one <b>bold?</b>'}),
      'the artifact is shown, as text');
  check((await a.call('GET', `/v1/agents/bob/tasks/${task.task_id}`)).json.state === 'completed', 'the task completed');
  await shoot(page, 'tasks');

  // More tasks than a page: the board shows 200 and offers the rest.
  await a.call('POST', '/v1/agents', {name: 'carol'});
  for (let i = 0; i < 200; i += 20) {
    await Promise.all(Array.from({length: 20}, () => a.call('POST', '/v1/agents/carol/tasks',
        {to: 'alice', input: [{kind: 'text', text: 'later'}], acceptance_timeout_ms: 86400000})));
  }
  await page.goto(`http://${a.api}/ui/#/tasks/bob`);
  await page.goto(`http://${a.api}/ui/#/tasks/alice`);
  await seen(page.locator('#task-more', {hasText: '200 tasks shown'}), 'the board shows the first 200 tasks');
  await page.click('#task-more button');
  await seen(page.locator('#task-more', {hasText: '201 tasks shown.'}), 'and the rest on request');

  // Tail a topic, publish as an agent: the tail updates.
  await page.goto(`http://${a.api}/ui/#/topics`);
  await page.fill('#tail-topic', 'news');
  await page.click('button:has-text("Tail")');
  await until('a subscribed to news', async () => {
    const r = await a.call('GET', '/v1/topics');
    return r.json.topics.some((t) => t.topic === 'news' && t.local_subscribers > 0);
  });
  await page.fill('#pub-topic', 'news');
  await page.selectOption('#pub-as', 'alice');
  await page.fill('#pub-body', 'fresh news');
  await page.click('button:has-text("Publish")');
  await seen(page.locator('#tail-rows tr', {hasText: 'fresh news'}), 'the tail shows the published message');
  await shoot(page, 'topics');

  // The mesh view shows the other daemon.
  await page.goto(`http://${a.api}/ui/#/mesh`);
  await seen(page.locator(`#peers [title="${b.node.peer_id}"]`), 'the peers table shows the other daemon');
  await seen(page.locator(`svg.graph text[data-peer="${b.node.peer_id}"]`), 'the mesh graph shows the other daemon');
  // A daemon joining while the view is open: the graph is redrawn only when the daemon's mesh stream says so.
  const c = await startDaemon('c', ['--bootstrap', a.node.listen_addrs[0]]);
  await seen(page.locator(`svg.graph text[data-peer="${c.node.peer_id}"]`), 'a daemon that joins appears in the graph, pushed');
  await shoot(page, 'mesh');

  await page.goto(`http://${a.api}/ui/#/diagnostics`);
  await page.locator('#diag-transport table').waitFor();
  await shoot(page, 'diagnostics');

  // Inbox throughput: 1,000 messages per second for 3 s into the open view;
  // the page keeps up (frames keep coming; every message counted).
  // Bob's inbox fully acked first: the view opens with those (at most 20) as history.
  const bobNow = (await a.call('GET', '/v1/agents/bob')).json;
  await a.call('POST', '/v1/agents/bob/inbox/ack', {up_to: bobNow.last_seq});
  const history = Math.min(20, bobNow.last_seq);
  await page.goto(`http://${a.api}/ui/#/inbox/bob`);
  await page.locator('#inbox-count').waitFor({state: 'attached'});
  await until('the history rows', async () => (await page.locator('#inbox-rows tr').count()) === history);
  await page.evaluate(() => {
    window.frames_ = 0;
    window.worstGap = 0;
    window.since = performance.now();
    let last = window.since;
    const tick = (t) => {
      window.worstGap = Math.max(window.worstGap, t - last);
      last = t;
      window.frames_ += 1;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const burst = 3000;
  const t0 = Date.now();
  for (let i = 0; i < burst; i += 50) {
    await Promise.all(Array.from({length: 50}, (_, j) => a.call('POST', '/v1/agents/alice/messages', {to: 'bob', body: `load ${i + j}`})));
    const due = t0 + ((i + 50) * 1000) / 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  await page.locator('#inbox-rows tr', {hasText: `load ${burst - 1}`}).waitFor({timeout: 30000});
  const perf = await page.evaluate(() => ({frames: window.frames_, worstGap: window.worstGap, ms: performance.now() - window.since,
    count: document.getElementById('inbox-count').textContent, rows: document.getElementById('inbox-rows').childElementCount}));
  check(perf.count.startsWith(`${burst + history} messages`), `every message reached the view (${perf.count})`);
  check(perf.rows <= 100, 'the view keeps at most 100 rows');
  const fps = (1000 * perf.frames) / perf.ms;
  console.log(`console: first load ${firstLoadBytes} bytes uncompressed, overview rendered ${overviewMs} ms after the link opened; ${burst} messages at 1,000/s: ` +
    `${perf.frames} frames in ${perf.ms.toFixed(0)} ms (${fps.toFixed(0)}/s), worst frame gap ${perf.worstGap.toFixed(0)} ms`);
  // make bench (scripts/bench.sh) reads the figures from this file.
  if (process.env.CONSOLE_FIGURES) {
    fs.writeFileSync(process.env.CONSOLE_FIGURES, `first_load_bytes=${firstLoadBytes}\noverview_ms=${overviewMs}\n` +
      `burst_messages=${burst}\nframes=${perf.frames}\nframes_ms=${perf.ms.toFixed(0)}\nframes_per_s=${fps.toFixed(1)}\n` +
      `worst_gap_ms=${perf.worstGap.toFixed(0)}\n`);
  }

  // The overview's rate charts start from the daemon's history (the load above is in it: points from before the
  // page opened), then gain a point per 2 s while it stays open.
  const rates = await until('the burst in the daemon\'s history (sampled every 5 s)', async () => {
    const r = (await a.call('GET', '/v1/diagnostics/rates')).json;
    return r.points.some((p) => p.accepted > 100) && r;
  });
  const firstPoint = rates.points[0].time_ms / 1000;
  await page.goto(`http://${a.api}/ui/#/overview`);
  const accepted = page.locator('.charts .card').first();
  await until('the charts drawn from the daemon\'s history',
      async () => Number(await accepted.getAttribute('data-first')) === firstPoint);
  check(Number(await accepted.getAttribute('data-points')) >= rates.points.length, 'the charts hold the daemon\'s points');
  const before = Number(await accepted.getAttribute('data-points'));
  await until('live rate samples', async () => Number(await accepted.getAttribute('data-points')) >= before + 2);
  check((await page.locator('#reachability').textContent()).includes('unknown'),
      'reachability is AutoNAT\'s verdict (no daemon here serves AutoNAT)');
  await shoot(page, 'overview');

  // Logout ends the session: the cookie no longer reads.
  await page.click('#logout');
  await page.getByText('Logged out.').waitFor();
  const after = await page.evaluate(async () => (await fetch('/v1/agents')).status);
  check(after === 401, 'after logout the session is refused');
  check(errors.length === 0, `no page errors (${errors.join('; ')})`);
}

try {
  await run();
  console.log(`console_test: ${checks} checks passed`);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
  if (page) {
    const said = await page.locator('#status').textContent().catch(() => '');
    console.error(`at ${page.url()}; the status line said: ${said}`);
    await page.screenshot({path: path.join(SHOTS, 'failure.png'), fullPage: true}).catch(() => {});
  }
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const d of daemons) d.kill('SIGKILL');
  fs.rmSync(DIR, {recursive: true, force: true});
}

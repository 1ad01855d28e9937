// The console's shell: login with the one-time code from `agentmesh ui`,
// the session's CSRF token, navigation between the views, logout.

import {api, clear, h, setCsrf, status} from './dom.js';
import {agentsView, deadLettersView, diagnosticsView, inboxView, overviewView} from './views.js';
import {conversationsView} from './views_conv.js';
import {meshView, tasksView, topicsView} from './views_net.js';

const views = {
  overview: overviewView,
  agents: agentsView,
  inbox: inboxView,
  conversations: conversationsView,
  tasks: tasksView,
  topics: topicsView,
  mesh: meshView,
  diagnostics: diagnosticsView,
  deadletters: deadLettersView,
};

let cleanup = null;
let loggedIn = false;

function showLogin(message) {
  loggedIn = false;
  setCsrf(null);
  if (cleanup) cleanup();
  cleanup = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  const view = clear(document.getElementById('view'));
  view.append(h('section', {class: 'login', 'aria-labelledby': 'login-title'},
      h('h1', {id: 'login-title'}, 'Log in'),
      h('p', {}, message || 'This console needs a login link.'),
      h('p', {}, 'On the daemon\'s machine, run ', h('code', {}, 'agentmesh ui'),
          ' and open the link it prints. Each link works once, for 60 seconds.')));
}

function route() {
  if (!loggedIn) return;
  const [, name, ...rest] = (location.hash || '#/overview').split('/');
  const render = views[name] || overviewView;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (cleanup) cleanup();
  status('');
  const view = clear(document.getElementById('view'));
  cleanup = render(view, rest.map(decodeURIComponent)) || null;
}

function enter(session) {
  setCsrf(session.csrf);
  loggedIn = true;
  document.getElementById('nav').hidden = false;
  document.getElementById('logout').hidden = false;
  route();
}

async function boot() {
  const match = /^#code=([0-9a-f]{64})$/.exec(location.hash);
  if (match) {
    // The code is spent either way: take it out of the address bar and history.
    history.replaceState(null, '', '/ui/#/overview');
    try {
      enter(await api('POST', '/ui/session', {code: match[1]}));
    } catch (e) {
      showLogin(e.code === 'invalid_login_code'
        ? 'That login link is used or expired.' : `Login failed: ${e.message}`);
    }
    return;
  }
  try {
    enter(await api('GET', '/ui/session'));
  } catch {
    showLogin();
  }
}

// A new login link pasted into an open console changes only the fragment.
window.addEventListener('hashchange', () => (location.hash.startsWith('#code=') ? boot() : route()));
window.addEventListener('am-logged-out', () => {
  if (loggedIn) showLogin('The session ended. Run agentmesh ui for a new link.');
});
document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api('DELETE', '/ui/session');
  } catch {
    // Logged out either way.
  }
  showLogin('Logged out.');
});
boot();

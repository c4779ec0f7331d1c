// The agent and admin workspace: sign-in, the live queue of waiting conversations, my
// tickets, search, and a ticket's conversation and detail. This module is the entry and the
// router; the screens are session.js, shell.js, queue.js, ticket.js (with ticket-side.js and
// composer.js), over state.js and conversation.js (shared with the customer's chat). Everything
// a customer wrote is put on the page as text (see dom.js); the page's CSP forbids inline
// script besides.

import { Api } from './api.js';
import { state, toast, failure, agentName, categoryLabel, statusLabel } from './state.js';
import { restoreSession, renderLogin, renderPassword, signedOut } from './session.js';
import { ensureShell, renderTabs } from './shell.js';
import { loadList } from './queue.js';
import { openTicket, closeTicket, renderEmptyDetail } from './ticket.js';

state.api = new Api({ onSignedOut: () => signedOut() });

// Each navigation takes a turn: one that finishes loading after a newer one began draws nothing
// (a queue still loading does not cover the reports someone opened meanwhile).
let turns = 0;

window.addEventListener('hashchange', () => route());
route();

export async function route() {
  const turn = ++turns;
  const current = () => turn === turns;
  const hash = location.hash.replace(/^#\/?/, '');
  const [first, ...rest] = hash.split('/');
  if (first === 'password' && rest[0]) return renderPassword(rest.join('/'));
  if (!state.user && !(await restoreSession())) return renderLogin();
  ensureShell();
  if (first === 'ticket' && rest[0]) {
    await openTicket(decodeURIComponent(rest.join('/')));
  } else if (first === 'reports') {
    state.tab = 'reports';
    closeTicket();
    renderTabs();
    const [kind, search] = rest.join('/').split('?');
    const { renderReports } = await import('./reports.js');
    if (!current()) return;
    const flow = state.config.workflow;
    state.shell.main.classList.add('admin-open', 'reports-open');
    await renderReports(state.shell.detail, {
      api: state.api, t: state.t, failure, config: state.config, user: state.user, agents: state.agents,
      agentName, categoryLabel, statusLabel, finished: [flow.resolved, flow.closed], current,
      openStatuses: flow.statuses.map((s) => s.id).filter((id) => id !== flow.resolved && id !== flow.closed),
    }, kind || 'volume', Object.fromEntries(new URLSearchParams(search || '')));
  } else if (first === 'admin' && ['admin', 'platform'].includes(state.user.role)) {
    state.shell.main.classList.remove('reports-open');
    state.tab = 'admin';
    closeTicket();
    renderTabs();
    // Admin screens load on first use: an agent's first load carries none of them.
    const { renderAdmin } = await import('./admin.js');
    if (!current()) return;
    renderAdmin(state.shell.detail, { api: state.api, t: state.t, toast, failure, config: state.config, user: state.user }, rest[0]);
    state.shell.main.classList.add('admin-open');
  } else {
    state.shell.main.classList.remove('admin-open', 'reports-open');
    state.tab = ['pending', 'mine', 'all'].includes(first) ? first : 'pending';
    closeTicket();
    renderTabs();
    await loadList(state.tab);
    if (current()) renderEmptyDetail();
  }
}

export function go(path) {
  if (location.hash === `#/${path}`) route();
  else location.hash = `#/${path}`;
}

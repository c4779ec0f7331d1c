// The workspace's frame: header, tabs, the connection pill, and what a reconnect reloads.

import { h, mount } from './dom.js';
import { app, state, t, failure } from './state.js';
import { showConnection } from './conversation.js';
import { signedOut, signOut } from './session.js';
import { loadList } from './queue.js';
import { openTicket } from './ticket.js';

export function ensureShell() {
  if (state.shell) return;
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Docket' });
  const pill = h('span', { class: 'pill connecting', role: 'status', id: 'connection' }, t('connecting'));
  const listHead = h('div', { class: 'list-head' });
  const listBody = h('div', { class: 'list-body' });
  const list = h('section', { class: 'list', 'aria-label': t('pending') }, listHead, listBody);
  const detail = h('section', { class: 'detail', 'aria-label': t('conversation') });
  const main = h('main', { class: 'work' }, list, detail);
  const header = h('header', { class: 'top' },
    h('a', { class: 'brand', href: '#/pending' }, h('img', { src: '/favicon.svg', alt: '', width: 24, height: 24 }), h('span', {}, state.config.tenantName)),
    tabs,
    h('div', { class: 'me' }, pill, presenceToggle(), h('span', { class: 'who' }, state.user.name),
      h('button', { type: 'button', class: 'link', onclick: () => signOut() }, t('signOut'))));
  mount(app, header, main);
  state.shell = { tabs, pill, list, listHead, listBody, detail, main };
  setConnection(state.live ? state.live.state : 'connecting');
}

// The agent's availability: online while the console is open, away when they say so (routing
// then passes them by). Staff without a presence (the platform operator) get no button.
function presenceToggle() {
  if (!['agent', 'supervisor', 'admin'].includes(state.user.role)) return null;
  const button = h('button', { type: 'button', class: 'presence', id: 'presence', dataset: { status: 'online' } });
  const show = (status) => {
    button.dataset.status = status;
    button.textContent = t(`presence_${status}`);
    button.setAttribute('aria-label', t('presenceToggle', { s: t(`presence_${status}`) }));
    button.title = button.getAttribute('aria-label');
  };
  show('online');
  button.addEventListener('click', async () => {
    try {
      const { presence } = await state.api.call('PUT', '/api/v2/presence/me', { status: button.dataset.status === 'away' ? 'online' : 'away' });
      show(presence.status);
    } catch (error) {
      failure(error);
    }
  });
  state.api.get('/api/v2/presence').then(({ presence }) => {
    const mine = presence.find((entry) => entry.agentId === state.user.subject);
    if (mine) show(mine.status === 'offline' ? 'online' : mine.status);
  }).catch(() => {});
  // Live: the agent's own changes (another tab) and everyone's, for the admin's agents screen.
  window.addEventListener('docket:presence', (event) => {
    if (event.detail.agentId === state.user.subject && event.detail.status !== 'offline') show(event.detail.status);
  });
  return button;
}

export function setConnection(value) {
  state.connection = value;
  if (!state.shell) return;
  showConnection(state.shell.pill, value, t);
  if (value === 'signedOut') signedOut();
  if (value === 'live' && state.wasOffline) {
    state.wasOffline = false;
    refreshAfterReconnect();
  }
  if (value === 'reconnecting') state.wasOffline = true;
}

export async function refreshAfterReconnect() {
  // The replay (since=) brought every event missed; lists are re-read too, cheaply, in case a
  // resync was needed.
  await loadList(['admin', 'reports'].includes(state.tab) ? 'pending' : state.tab, true);
}

export async function reloadEverything() {
  await loadList(['admin', 'reports'].includes(state.tab) ? 'pending' : state.tab, true);
  if (state.current) await openTicket(state.current.ticket.ticketId, true);
}

export function renderTabs() {
  if (!state.shell) return;
  const tab = (id, label, count) => h('a', {
    href: `#/${id}`, class: `tab${state.tab === id ? ' active' : ''}`, 'aria-current': state.tab === id ? 'page' : null,
  }, label, count ? h('span', { class: 'count', 'aria-label': `${count}` }, String(count)) : null);
  mount(state.shell.tabs,
    tab('pending', t('pending'), state.lists.pending.length),
    tab('mine', t('mine'), state.lists.mine.reduce((sum, ticket) => sum + (ticket.unreadStaff > 0 ? 1 : 0), 0) || null),
    tab('all', t('all')),
    tab('reports', t('reports')),
    ['admin', 'platform'].includes(state.user.role) ? tab('admin', t('admin')) : null);
  // On a phone the tabs scroll sideways: the current one is brought into sight.
  state.shell.tabs.querySelector('.tab.active')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

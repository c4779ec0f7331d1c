// The workspace's frame: header, tabs, the connection pill, and what a reconnect reloads.

import { h, mount } from './dom.js';
import { app, state, t } from './state.js';
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
    h('div', { class: 'me' }, pill, h('span', { class: 'who' }, state.user.name),
      h('button', { type: 'button', class: 'link', onclick: () => signOut() }, t('signOut'))));
  mount(app, header, main);
  state.shell = { tabs, pill, list, listHead, listBody, detail, main };
  setConnection(state.live ? state.live.state : 'connecting');
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
  await loadList(state.tab === 'admin' ? 'pending' : state.tab, true);
}

export async function reloadEverything() {
  await loadList(state.tab === 'admin' ? 'pending' : state.tab, true);
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
    state.user.role !== 'agent' ? tab('admin', t('admin')) : null);
}

// The agent and admin workspace: sign-in, the live queue of waiting conversations, my
// tickets, search, and a ticket's conversation and detail. Everything a customer wrote is put
// on the page as text (see dom.js); the page's CSP forbids inline script besides.

import { h, mount, field, duration, time, throttle, sendOnEnter } from './dom.js';
import { Api, ApiError, query, enc } from './api.js';
import { Live } from './live.js';
import { translator } from './i18n.js';

const app = document.getElementById('app');
const toasts = document.getElementById('toasts');

const state = {
  user: null,
  config: null,
  t: translator(navigator.language),
  api: null,
  live: null,
  tab: 'pending',
  lists: { pending: [], mine: [], all: [] },
  total: { all: 0 },
  filters: { status: '', priority: '', category: '', queue: '', assignedAgent: '', search: '' },
  agents: new Map(),
  current: null, // { ticket, messages, firstSeq, typing, audit }
  connection: 'connecting',
  shell: null,
};

state.api = new Api({ onSignedOut: () => signedOut() });

function t(key, values) {
  return state.t(key, values);
}

export function toast(text, kind = 'info') {
  const el = h('div', { class: `toast ${kind}` }, text);
  toasts.append(el);
  setTimeout(() => el.remove(), 5000);
}

function failure(error) {
  toast(t('failed', { m: error instanceof ApiError || error instanceof Error ? error.message : String(error) }), 'error');
}

// MARK: - Routing

window.addEventListener('hashchange', () => route());
route();

async function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [first, ...rest] = hash.split('/');
  if (first === 'password' && rest[0]) return renderPassword(rest.join('/'));
  if (!state.user && !(await restoreSession())) return renderLogin();
  ensureShell();
  if (first === 'ticket' && rest[0]) {
    await openTicket(decodeURIComponent(rest.join('/')));
  } else if (first === 'admin' && state.user.role !== 'agent') {
    state.tab = 'admin';
    closeTicket();
    renderTabs();
    // Admin screens load on first use: an agent's first load carries none of them.
    const { renderAdmin } = await import('./admin.js');
    renderAdmin(state.shell.detail, { api: state.api, t: state.t, toast, failure, config: state.config, user: state.user }, rest[0]);
    state.shell.main.classList.add('admin-open');
  } else {
    state.shell.main.classList.remove('admin-open');
    state.tab = ['pending', 'mine', 'all'].includes(first) ? first : 'pending';
    closeTicket();
    renderTabs();
    await loadList(state.tab);
    renderEmptyDetail();
  }
}

function go(path) {
  if (location.hash === `#/${path}`) route();
  else location.hash = `#/${path}`;
}

// MARK: - Session

async function restoreSession() {
  // The server sets docket_signed_in beside its HttpOnly session cookie: without it there is
  // no session to restore, and asking would only log a 401.
  if (!document.cookie.split(';').some((c) => c.trim().startsWith('docket_signed_in=1'))) return false;
  try {
    const session = await state.api.get('/api/v2/auth/session');
    return await startWorkspace(session.user);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return false;
    mount(app, h('p', { class: 'notice error' }, t('failed', { m: error.message })));
    return false;
  }
}

async function startWorkspace(user) {
  if (user.role === 'customer' || user.role === 'assistant') {
    location.href = '/chat';
    return false;
  }
  state.user = user;
  state.config = await state.api.get('/api/v2/config/console');
  state.t = translator(state.config.locale, state.config.terminology);
  document.documentElement.lang = state.t.lang;
  document.title = `${state.config.tenantName} · Docket`;
  await loadAgents();
  state.live = new Live({
    rooms: ['staff'],
    onEvent: (frame) => onEvent(frame),
    onState: (value) => setConnection(value),
    onResync: () => reloadEverything(),
  }).start();
  // Keeps the cookie session alive while the console is open and used.
  setInterval(() => {
    if (document.visibilityState === 'visible') state.api.get('/api/v2/auth/session').catch(() => {});
  }, 5 * 60 * 1000);
  return true;
}

function signedOut() {
  if (!state.user) return;
  if (state.live) state.live.stop();
  state.user = null;
  state.shell = null;
  renderLogin(t('signInFailed'));
}

async function loadAgents() {
  try {
    const page = await state.api.get('/api/v2/agents?limit=100');
    state.agents = new Map(page.agents.map((agent) => [agent.id, agent]));
  } catch {
    state.agents = new Map();
  }
}

function agentName(id) {
  if (!id) return t('unassigned');
  if (state.user && id === state.user.subject) return t('you');
  return state.agents.get(id)?.name || id;
}

// MARK: - Sign-in and password screens

function renderLogin(message) {
  const remembered = localStorage.getItem('docket.tenant') || 'default';
  const error = h('p', { class: 'form-error', role: 'alert', hidden: !message }, message || '');
  const tenant = h('input', { id: 'login-tenant', name: 'tenant', autocomplete: 'organization', required: true, value: remembered });
  const email = h('input', { id: 'login-email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, t('signIn'));
  const form = h('form', { class: 'card login', onsubmit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.hidden = true;
    try {
      const session = await state.api.post('/api/v2/auth/login', { tenant: tenant.value.trim(), email: email.value.trim(), password: password.value });
      localStorage.setItem('docket.tenant', tenant.value.trim());
      password.value = '';
      if (await startWorkspace(session.user)) route();
    } catch (failed) {
      error.hidden = false;
      error.textContent = failed.status === 429 ? t('tooMany', { s: failed.details?.retryAfter?.[0] || '?' }) : failed.status === 401 ? t('signInFailed') : t('failed', { m: failed.message });
      password.focus();
    } finally {
      button.disabled = false;
    }
  } },
    h('h1', {}, t('signInTitle')),
    field(t('tenant'), tenant), field(t('email'), email), field(t('password'), password),
    error, button);
  mount(app, h('main', { class: 'center' }, form));
  (remembered ? email : tenant).focus();
}

function renderPassword(token) {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const one = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', minlength: 10, required: true });
  const two = h('input', { id: 'new-password-again', type: 'password', autocomplete: 'new-password', minlength: 10, required: true });
  const form = h('form', { class: 'card login', onsubmit: async (event) => {
    event.preventDefault();
    if (one.value !== two.value) {
      error.hidden = false;
      error.textContent = t('passwordsDiffer');
      return;
    }
    try {
      const session = await state.api.post('/api/v2/auth/password', { token, password: one.value });
      history.replaceState(null, '', '/#/pending');
      if (await startWorkspace(session.user)) route();
    } catch (failed) {
      error.hidden = false;
      error.textContent = failed.message;
    }
  } },
    h('h1', {}, t('choosePassword')), h('p', { class: 'hint' }, t('passwordRule')),
    field(t('password'), one), field(t('passwordAgain'), two), error,
    h('button', { type: 'submit', class: 'primary' }, t('savePassword')));
  mount(app, h('main', { class: 'center' }, form));
  one.focus();
}

// MARK: - Shell

function ensureShell() {
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

async function signOut() {
  try {
    await state.api.post('/api/v2/auth/logout');
  } catch {
    // Signed out anyway: the cookie is gone or was.
  }
  if (state.live) state.live.stop();
  state.user = null;
  state.shell = null;
  history.replaceState(null, '', '/#/');
  renderLogin();
}

function setConnection(value) {
  state.connection = value;
  if (!state.shell) return;
  const labels = { connecting: t('connecting'), live: t('live'), reconnecting: t('offline'), signedOut: t('signIn') };
  state.shell.pill.className = `pill ${value}`;
  state.shell.pill.textContent = labels[value] || value;
  if (value === 'signedOut') signedOut();
  if (value === 'live' && state.wasOffline) {
    state.wasOffline = false;
    refreshAfterReconnect();
  }
  if (value === 'reconnecting') state.wasOffline = true;
}

async function refreshAfterReconnect() {
  // The replay (since=) brought every event missed; lists are re-read too, cheaply, in case a
  // resync was needed.
  await loadList(state.tab === 'admin' ? 'pending' : state.tab, true);
}

async function reloadEverything() {
  await loadList(state.tab === 'admin' ? 'pending' : state.tab, true);
  if (state.current) await openTicket(state.current.ticket.ticketId, true);
}

function renderTabs() {
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

// MARK: - Lists

function normalize(ticket) {
  return {
    ticketId: ticket.ticketId, subject: ticket.subject, status: ticket.status, priority: ticket.priority, category: ticket.category,
    queue: ticket.queue, assignedAgent: ticket.assignedAgent, customerId: ticket.customerId,
    unreadStaff: ticket.unreadStaff ?? ticket.chat?.unreadStaff ?? 0,
    lastMessage: ticket.lastMessage ?? ticket.chat?.lastMessage, updatedAt: ticket.updatedAt, version: ticket.version,
    escalated: ticket.escalated ?? Boolean(ticket.escalation),
  };
}

async function loadList(tab, quiet = false) {
  if (tab === 'admin') return;
  try {
    if (tab === 'pending') {
      const page = await state.api.get('/api/v2/tickets/pending?limit=100');
      state.lists.pending = page.tickets.map(normalize);
    } else if (tab === 'mine') {
      const page = await state.api.get('/api/v2/tickets/mine?limit=100');
      state.lists.mine = page.tickets.map(normalize);
    } else {
      const f = state.filters;
      const page = await state.api.get(`/api/v2/tickets${query({ ...f, limit: 50, sortBy: 'updatedAt', sortOrder: 'desc' })}`);
      state.lists.all = page.tickets.map(normalize);
      state.total.all = page.pagination.total;
    }
  } catch (error) {
    if (!quiet) failure(error);
  }
  renderTabs();
  renderList();
}

function isOpen(ticket) {
  const flow = state.config.workflow;
  return ticket.status !== flow.resolved && ticket.status !== flow.closed;
}

function statusLabel(id) {
  const status = state.config.workflow.statuses.find((s) => s.id === id);
  if (!status) return id;
  return state.t.lang === 'en' ? status.labelEn || status.label : status.label;
}

function categoryLabel(id) {
  const category = state.config.categories.find((c) => c.id === id);
  if (!category) return id;
  return state.t.lang === 'en' ? category.labelEn || category.label : category.label;
}

function renderList() {
  if (!state.shell || state.tab === 'admin') return;
  const tab = state.tab;
  const items = state.lists[tab];
  // The filter form lives in the list's head, made once and left in place: live updates
  // re-render the list's body, never the form a person may be typing in.
  const { listHead, listBody } = state.shell;
  if (tab === 'all') {
    if (!state.shell.filters) state.shell.filters = renderFilters();
    if (listHead.firstChild !== state.shell.filters) mount(listHead, state.shell.filters);
  } else if (listHead.firstChild) mount(listHead);
  const children = [];
  if (tab === 'all') children.push(h('p', { class: 'hint' }, t('results', { n: state.total.all })));
  if (!items.length && tab !== 'all') children.push(h('p', { class: 'empty' }, t(tab === 'pending' ? 'noPending' : 'noMine')));
  children.push(h('ul', { class: 'tickets', 'aria-label': t(tab === 'pending' ? 'pending' : tab === 'mine' ? 'mine' : 'all') },
    items.map((ticket) => renderItem(ticket, tab))));
  mount(listBody, children);
}

function renderItem(ticket, tab) {
  const selected = state.current && state.current.ticket.ticketId === ticket.ticketId;
  const preview = ticket.lastMessage ? ticket.lastMessage.text : '';
  return h('li', { class: `ticket-item${selected ? ' selected' : ''}`, dataset: { ticket: ticket.ticketId } },
    h('a', { href: `#/ticket/${enc(ticket.ticketId)}`, class: 'ticket-link' },
      h('span', { class: 'row' },
        h('span', { class: 'tid' }, ticket.ticketId),
        h('span', { class: `badge priority-${ticket.priority}` }, t(`priorities.${ticket.priority}`)),
        h('span', { class: 'badge status' }, statusLabel(ticket.status)),
        ticket.unreadStaff > 0 ? h('span', { class: 'badge unread', title: t('unread', { n: ticket.unreadStaff }) }, String(ticket.unreadStaff)) : null),
      h('span', { class: 'subject' }, ticket.subject),
      preview ? h('span', { class: 'preview' }, preview) : null,
      h('span', { class: 'meta' }, tab === 'pending' ? time(ticket.updatedAt, state.t.lang) : agentName(ticket.assignedAgent))),
    tab === 'pending' ? h('button', { type: 'button', class: 'claim', onclick: () => claim(ticket.ticketId) }, t('claim')) : null);
}

function renderFilters() {
  const f = state.filters;
  const select = (name, label, options) => h('label', { class: 'field compact' }, h('span', {}, label),
    h('select', { name, onchange: (event) => { f[name] = event.target.value; loadList('all'); } },
      options.map(([value, text]) => h('option', { value, selected: f[name] === value }, text))));
  const search = h('input', { type: 'search', name: 'search', value: f.search, placeholder: t('searchPlaceholder'), 'aria-label': t('search') });
  return h('form', { class: 'filters', role: 'search', onsubmit: (event) => { event.preventDefault(); f.search = search.value.trim(); loadList('all'); } },
    h('div', { class: 'search-row' }, search, h('button', { type: 'submit' }, t('search'))),
    h('div', { class: 'filter-row' },
      select('status', t('status'), [['', t('anyStatus')], ...state.config.workflow.statuses.map((s) => [s.id, statusLabel(s.id)])]),
      select('priority', t('priority'), [['', t('anyPriority')], ...state.config.priorities.map((p) => [p, t(`priorities.${p}`)])]),
      select('category', t('category'), [['', t('anyCategory')], ...state.config.categories.map((c) => [c.id, categoryLabel(c.id)])]),
      select('queue', t('queue'), [['', t('anyQueue')], ...state.config.queues.map((q) => [q.id, q.name])]),
      select('assignedAgent', t('assignee'), [['', t('anyone')], ['none', t('nobody')], ...[...state.agents.values()].map((a) => [a.id, a.name])])));
}

function upsert(list, summary) {
  const index = list.findIndex((item) => item.ticketId === summary.ticketId);
  if (index >= 0) {
    if ((list[index].version ?? 0) > (summary.version ?? 0)) return;
    list[index] = { ...list[index], ...summary };
  } else list.unshift(summary);
}

function remove(list, ticketId) {
  const index = list.findIndex((item) => item.ticketId === ticketId);
  if (index >= 0) list.splice(index, 1);
}

/** Places a ticket's newest summary in the lists it belongs to. */
function place(summary) {
  const { pending, mine, all } = state.lists;
  if (!summary.assignedAgent && isOpen(summary)) upsert(pending, summary);
  else remove(pending, summary.ticketId);
  if (summary.assignedAgent === state.user.subject && isOpen(summary)) upsert(mine, summary);
  else remove(mine, summary.ticketId);
  const inAll = all.findIndex((item) => item.ticketId === summary.ticketId);
  if (inAll >= 0) all[inAll] = { ...all[inAll], ...summary };
}

// MARK: - Live events

function onEvent(frame) {
  const data = frame.data || {};
  const summary = data.ticket ? normalize(data.ticket) : null;
  switch (frame.type) {
    case 'ticket_claimed':
    case 'ticket_assigned':
      if (summary) place(summary);
      if (state.current?.ticket.ticketId === data.ticket?.ticketId && data.agentId !== state.user.subject) {
        toast(t('takenBy', { name: data.agentName || agentName(data.agentId) }));
      }
      break;
    case 'new_message':
      if (summary) place(summary);
      if (state.current?.ticket.ticketId === data.ticketId) receiveMessage(data.message);
      break;
    case 'typing':
    case 'stop_typing':
      if (state.current?.ticket.ticketId === data.ticketId && data.senderType === 'customer') showTyping(frame.type === 'typing');
      return;
    case 'messages_read':
      if (summary) place(summary);
      if (state.current?.ticket.ticketId === data.ticketId && data.reader === 'customer') markReadByCustomer(data.readAt);
      break;
    case 'notification':
      toast(data.message || data.rule || 'notification');
      break;
    case 'sla_warning':
    case 'sla_breached':
      if (summary) place(summary);
      if (state.current?.ticket.ticketId === summary?.ticketId) refreshTicket();
      break;
    default:
      if (summary) place(summary);
  }
  if (state.current && summary && state.current.ticket.ticketId === summary.ticketId && (summary.version ?? 0) > state.current.ticket.version) {
    refreshTicket();
  }
  renderTabs();
  renderList();
}

// MARK: - Claim

async function claim(ticketId) {
  try {
    await state.api.post(`/api/v2/tickets/${enc(ticketId)}/claim`);
    toast(t('claimed', { id: ticketId }), 'ok');
    state.tab = 'mine';
    await loadList('mine', true);
    go(`ticket/${enc(ticketId)}`);
  } catch (error) {
    if (error.code === 'already_claimed') {
      const holder = error.details?.assignedAgent?.[0];
      toast(t('takenBy', { name: agentName(holder) }), 'warn');
      remove(state.lists.pending, ticketId);
      renderTabs();
      renderList();
    } else failure(error);
  }
}

// MARK: - One ticket

function renderEmptyDetail() {
  if (!state.shell) return;
  state.shell.main.classList.remove('has-ticket');
  mount(state.shell.detail, h('p', { class: 'empty center-text' }, t('selectTicket')));
}

function closeTicket() {
  if (state.current && state.live) state.live.unsubscribe(`ticket:${state.current.ticket.ticketId}`);
  state.current = null;
}

async function openTicket(ticketId, quiet = false) {
  if (state.tab === 'admin') state.tab = 'pending';
  if (state.current && state.current.ticket.ticketId !== ticketId) closeTicket();
  state.shell.main.classList.remove('admin-open');
  state.shell.main.classList.add('has-ticket');
  if (!quiet) mount(state.shell.detail, h('p', { class: 'loading' }, t('loading')));
  try {
    const [{ ticket }, page] = await Promise.all([
      state.api.get(`/api/v2/tickets/${enc(ticketId)}`),
      latestMessages(ticketId),
    ]);
    state.current = { ticket, messages: page, typing: false, audit: null, readAt: Date.now() };
    state.live?.subscribe(`ticket:${ticketId}`);
    renderTicket();
    renderTabs();
    if (!state.lists[state.tab]?.length) await loadList(state.tab, true);
    else renderList();
    markRead();
  } catch (error) {
    mount(state.shell.detail, h('p', { class: 'notice error' }, t('failed', { m: error.message })));
  }
}

async function latestMessages(ticketId) {
  const { ticket } = await state.api.get(`/api/v2/tickets/${enc(ticketId)}`);
  const count = ticket.chat?.messageCount || 0;
  const after = Math.max(0, count - 50);
  const page = await state.api.get(`/api/v2/tickets/${enc(ticketId)}/messages${query({ after: after || undefined, limit: 50 })}`);
  return page.messages;
}

async function refreshTicket() {
  if (!state.current) return;
  const id = state.current.ticket.ticketId;
  try {
    const { ticket } = await state.api.get(`/api/v2/tickets/${enc(id)}`);
    if (state.current?.ticket.ticketId !== id) return;
    state.current.ticket = ticket;
    state.current.readAt = Date.now();
    renderTicket({ keepComposer: true });
  } catch (error) {
    failure(error);
  }
}

async function loadOlder() {
  const current = state.current;
  const first = current.messages[0]?.seq ?? 1;
  if (first <= 1) return;
  const after = Math.max(0, first - 1 - 50);
  const page = await state.api.get(`/api/v2/tickets/${enc(current.ticket.ticketId)}/messages${query({ after: after || undefined, limit: first - 1 - after })}`);
  const list = state.shell.detail.querySelector('.messages');
  const height = list ? list.scrollHeight : 0;
  current.messages = [...page.messages, ...current.messages];
  renderTicket({ keepComposer: true, keepScroll: height });
}

function receiveMessage(message) {
  const current = state.current;
  if (!message || current.messages.some((m) => m.seq === message.seq)) return;
  current.messages.push(message);
  current.messages.sort((a, b) => a.seq - b.seq);
  if (message.senderType === 'customer') showTyping(false);
  appendMessage(message);
  if (message.senderType === 'customer') markRead();
}

function markRead() {
  const current = state.current;
  if (!current || document.visibilityState !== 'visible') return;
  if (!current.messages.some((m) => m.senderType === 'customer' && !m.isRead)) return;
  state.api.post(`/api/v2/tickets/${enc(current.ticket.ticketId)}/read`).then(() => {
    for (const m of current.messages) if (m.senderType === 'customer') m.isRead = true;
  }).catch(() => {});
}

document.addEventListener('visibilitychange', () => markRead());

// The SLA clocks count down on screen between events.
setInterval(() => {
  const box = state.current && state.shell?.detail.querySelector('.sla');
  if (box) box.replaceWith(renderSLA(state.current.ticket) || h('span'));
}, 30000);

function markReadByCustomer(readAt) {
  for (const message of state.current.messages) {
    if (message.senderType !== 'customer' && message.senderType !== 'system') {
      message.isRead = true;
      message.readAt = message.readAt || readAt;
    }
  }
  for (const el of state.shell.detail.querySelectorAll('.msg.mine .receipt')) el.textContent = t('read');
}

function showTyping(on) {
  if (!state.current) return;
  state.current.typing = on;
  const el = state.shell.detail.querySelector('.typing');
  if (el) {
    el.hidden = !on;
    el.textContent = on ? t('typing', { name: state.t.words.customerNoun }) : '';
  }
  clearTimeout(state.typingTimer);
  if (on) state.typingTimer = setTimeout(() => showTyping(false), 8000);
}

function messageView(message) {
  const kind = message.senderType === 'system' ? 'system' : message.senderType === 'customer' ? 'theirs' : 'mine';
  const attachments = (message.attachments || []).map((url) => h('a', { href: url, rel: 'noopener noreferrer nofollow', target: '_blank', class: 'attachment' }, url));
  return h('li', { class: `msg ${kind}`, dataset: { seq: message.seq } },
    kind !== 'system' ? h('span', { class: 'sender' }, message.senderName || message.senderId) : null,
    h('p', { class: 'content' }, message.content),
    attachments.length ? h('div', { class: 'attachments' }, attachments) : null,
    h('span', { class: 'stamp' }, time(message.createdAt, state.t.lang),
      kind === 'mine' ? h('span', { class: 'receipt' }, message.isRead ? t('read') : t('sent')) : null));
}

function appendMessage(message) {
  const list = state.shell.detail.querySelector('.messages');
  if (!list) return;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.append(messageView(message));
  if (nearBottom || message.senderType !== 'customer') list.scrollTop = list.scrollHeight;
}

function renderTicket(options = {}) {
  const { ticket, messages } = state.current;
  const draft = options.keepComposer ? state.shell.detail.querySelector('textarea')?.value : '';
  const mode = options.keepComposer ? state.shell.detail.querySelector('.composer')?.dataset.mode : 'reply';
  const flow = state.config.workflow;
  const status = flow.statuses.find((s) => s.id === ticket.status);
  const open = isOpen(ticket);
  const mine = ticket.assignedAgent === state.user.subject;

  const header = h('div', { class: 'ticket-head' },
    h('a', { href: `#/${state.tab === 'admin' ? 'pending' : state.tab}`, class: 'back' }, `← ${t('back')}`),
    h('div', { class: 'row' },
      h('span', { class: 'tid' }, ticket.ticketId),
      h('span', { class: `badge priority-${ticket.priority}` }, t(`priorities.${ticket.priority}`)),
      h('span', { class: 'badge status' }, statusLabel(ticket.status)),
      ticket.escalation ? h('span', { class: 'badge escalated' }, t('escalate')) : null),
    h('h2', {}, ticket.subject),
    h('p', { class: 'meta' }, `${t('assignee')}: `, agentName(ticket.assignedAgent), ' · ', t('opened', { t: time(ticket.createdAt, state.t.lang) })));

  const actions = h('div', { class: 'actions' });
  if (!ticket.assignedAgent && open) actions.append(h('button', { type: 'button', class: 'primary', onclick: () => claim(ticket.ticketId) }, t('claim')));
  const targets = (status?.transitions || []).filter((id) => id !== flow.resolved);
  if (targets.length) {
    const select = h('select', { 'aria-label': t('changeStatus'), id: 'status-target' }, targets.map((id) => h('option', { value: id }, statusLabel(id))));
    actions.append(h('span', { class: 'inline' }, select,
      h('button', { type: 'button', onclick: () => act('status', { status: select.value, reason: '' }) }, t('changeStatus'))));
  }
  if ((status?.transitions || []).includes(flow.resolved)) {
    actions.append(h('button', { type: 'button', class: 'resolve', onclick: () => resolveForm(actions) }, t('resolve')));
  }
  if (open) {
    actions.append(h('button', { type: 'button', onclick: () => escalateForm(actions) }, t('escalate')));
    if (mine || state.user.role !== 'agent') actions.append(h('button', { type: 'button', onclick: () => transferForm(actions) }, t('transfer')));
  }

  const list = h('ol', { class: 'messages', 'aria-label': t('conversation') }, messages.map(messageView));
  const older = (messages[0]?.seq ?? 1) > 1 ? h('button', { type: 'button', class: 'link older', onclick: () => loadOlder().catch(failure) }, t('loadOlder')) : null;
  list.addEventListener('scroll', () => {
    if (list.scrollTop === 0 && (state.current.messages[0]?.seq ?? 1) > 1 && !state.loadingOlder) {
      state.loadingOlder = true;
      loadOlder().catch(failure).finally(() => { state.loadingOlder = false; });
    }
  });
  const typing = h('p', { class: 'typing', hidden: !state.current.typing, 'aria-live': 'polite' },
    state.current.typing ? t('typing', { name: state.t.words.customerNoun }) : '');

  const composer = renderComposer(ticket, draft, mode || 'reply');
  const side = renderSide(ticket);
  mount(state.shell.detail, h('article', { class: 'ticket' }, header, actions,
    h('div', { class: 'ticket-body' },
      h('div', { class: 'conversation' }, older, list, typing, composer),
      side)));
  if (options.keepScroll) list.scrollTop = list.scrollHeight - options.keepScroll;
  else list.scrollTop = list.scrollHeight;
  for (const item of state.shell.list.querySelectorAll('.ticket-item')) item.classList.toggle('selected', item.dataset.ticket === ticket.ticketId);
}

function renderComposer(ticket, draft, mode) {
  const area = h('textarea', { id: 'composer-text', rows: 3, 'aria-label': mode === 'note' ? t('internalNote') : t('reply'),
    placeholder: mode === 'note' ? t('notePlaceholder') : t('replyPlaceholder'), value: draft || '' });
  const stopTyping = () => state.live?.typing(ticket.ticketId, false);
  const typing = throttle(() => { if (mode === 'reply') state.live?.typing(ticket.ticketId, true); }, 3000);
  area.addEventListener('input', typing);
  area.addEventListener('blur', stopTyping);
  const send = async () => {
    const content = area.value.trim();
    if (!content) return;
    area.disabled = true;
    try {
      if (mode === 'note') {
        await state.api.post(`/api/v2/tickets/${enc(ticket.ticketId)}/notes`, { content, isInternal: true });
        area.value = '';
        await refreshTicket();
      } else {
        const answer = await state.api.post(`/api/v2/tickets/${enc(ticket.ticketId)}/messages`, { content });
        area.value = '';
        stopTyping();
        receiveMessage(answer.message);
      }
    } catch (error) {
      failure(error);
    } finally {
      area.disabled = false;
      area.focus();
    }
  };
  sendOnEnter(area, send);
  const switcher = (value, label) => h('button', { type: 'button', role: 'tab', class: `mode${mode === value ? ' active' : ''}`, 'aria-selected': mode === value ? 'true' : 'false',
    onclick: () => {
      const parent = area.closest('.composer');
      const next = renderComposer(ticket, area.value, value);
      parent.replaceWith(next);
      next.querySelector('textarea').focus();
    } }, label);
  return h('form', { class: `composer ${mode}`, dataset: { mode }, onsubmit: (event) => { event.preventDefault(); send(); } },
    h('div', { class: 'modes', role: 'tablist' }, switcher('reply', t('publicReply')), switcher('note', t('internalNote'))),
    area, h('button', { type: 'submit', class: 'primary' }, t('send')));
}

function renderSide(ticket) {
  const rows = [
    [t('status'), statusLabel(ticket.status)], [t('priority'), t(`priorities.${ticket.priority}`)],
    [t('category'), categoryLabel(ticket.category)], [t('queue'), ticket.queue || '—'],
    [t('customerLabel'), ticket.customerId], [t('tags'), (ticket.tags || []).join(', ') || '—'],
  ];
  const fields = Object.entries(ticket.fields || {});
  const notes = (ticket.notes || []).slice().reverse();
  const audit = h('details', { class: 'audit', ontoggle: (event) => { if (event.target.open) loadAudit(ticket.ticketId, event.target); } },
    h('summary', {}, t('audit')), h('p', { class: 'loading' }, t('loading')));
  return h('aside', { class: 'side' },
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    isOpen(ticket) ? renderEdit(ticket) : null,
    renderSLA(ticket),
    ticket.description ? h('section', {}, h('h3', {}, t('description')), h('p', { class: 'content' }, ticket.description)) : null,
    fields.length ? h('section', {}, h('h3', {}, t('fields')), h('dl', { class: 'facts' }, fields.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))) : null,
    (ticket.attachments || []).length ? h('section', {}, h('h3', {}, t('attachments')),
      h('ul', {}, ticket.attachments.map((a) => h('li', {}, h('a', { href: a.url, rel: 'noopener noreferrer nofollow', target: '_blank' }, a.url))))) : null,
    notes.length ? h('section', {}, h('h3', {}, t('notes')), h('ul', { class: 'notes' }, notes.map((note) =>
      h('li', { class: `note${note.isInternal ? ' internal' : ''}` },
        h('span', { class: 'badge' }, note.isInternal ? t('internal') : t('public')), ' ',
        h('span', { class: 'sender' }, note.authorRole === 'customer' ? state.t.words.customerNoun : agentName(note.authorId)),
        h('p', { class: 'content' }, note.content), h('span', { class: 'stamp' }, time(note.timestamp, state.t.lang)))))) : null,
    audit);
}

/** Priority, category and tags, changed with one PUT (the rules see the change). */
function renderEdit(ticket) {
  const priority = h('select', { id: 'edit-priority', 'aria-label': t('priority') },
    state.config.priorities.map((p) => h('option', { value: p, selected: p === ticket.priority }, t(`priorities.${p}`))));
  const category = h('select', { id: 'edit-category', 'aria-label': t('category') },
    state.config.categories.map((c) => h('option', { value: c.id, selected: c.id === ticket.category }, categoryLabel(c.id))));
  const tags = h('input', { id: 'edit-tags', 'aria-label': t('tags'), value: (ticket.tags || []).join(', ') });
  return h('details', { class: 'edit' }, h('summary', {}, `${t('priority')} · ${t('category')} · ${t('tags')}`),
    h('form', { class: 'edit-form', onsubmit: async (event) => {
      event.preventDefault();
      const body = {};
      if (priority.value !== ticket.priority) body.priority = priority.value;
      if (category.value !== ticket.category) body.category = category.value;
      const list = tags.value.split(',').map((tag) => tag.trim()).filter(Boolean);
      if (list.join(',') !== (ticket.tags || []).join(',')) body.tags = list;
      if (!Object.keys(body).length) return;
      try {
        const answer = await state.api.put(`/api/v2/tickets/${enc(ticket.ticketId)}`, body);
        state.current.ticket = answer.ticket;
        place(normalize(answer.ticket));
        renderTicket({ keepComposer: true });
        renderList();
      } catch (error) {
        failure(error);
      }
    } }, priority, category, tags, h('button', { type: 'submit' }, t('save'))));
}

function renderSLA(ticket) {
  const clocks = ticket.sla?.clocks || [];
  if (!clocks.length) return null;
  const names = { firstResponse: t('firstResponse'), resolution: t('resolution'), nextReply: t('nextReply') };
  const items = clocks.map((clock) => {
    let state_ = 'running';
    let text;
    if (clock.met === true || (clock.stoppedAt && !clock.breachedAt)) {
      state_ = 'met';
      text = t('met');
    } else if (clock.breachedAt || (clock.dueAt && new Date(clock.dueAt) < new Date())) {
      state_ = 'breached';
      text = clock.dueAt ? t('overdue', { t: duration(Date.now() - new Date(clock.dueAt).getTime(), state.t.lang) }) : t('breached');
    } else {
      // The server says what is left when the ticket is read (in business time when the clock
      // keeps business hours); an all-day clock counts down on screen from there.
      const readAt = state.current?.readAt ?? Date.now();
      const remaining = clock.remainingSeconds ?? clock.targetSeconds - clock.consumedSeconds;
      const running = clock.since && !clock.pausedSince && !clock.businessHours;
      const left = remaining * 1000 - (running ? Date.now() - readAt : 0);
      if (clock.warnedAt || (clock.warnAt && new Date(clock.warnAt) < new Date())) state_ = 'warning';
      text = t('left', { t: duration(left, state.t.lang) }) + (clock.businessHours ? ` (${t('businessTime').toLocaleLowerCase(state.t.lang)})` : '');
    }
    return h('li', { class: `clock ${state_}` }, h('span', { class: 'name' }, names[clock.kind] || clock.kind), h('span', { class: 'left' }, text),
      clock.dueAt ? h('span', { class: 'stamp' }, time(clock.dueAt, state.t.lang)) : null);
  });
  return h('section', { class: 'sla' }, h('h3', {}, t('sla')), h('ul', {}, items));
}

async function loadAudit(ticketId, container) {
  try {
    const { audit } = await state.api.get(`/api/v2/tickets/${enc(ticketId)}/rule-audit`);
    const rows = audit.slice().reverse().map((entry) => h('li', { class: entry.error ? 'error' : '' },
      h('code', {}, entry.rule), ' ', h('span', { class: 'stamp' }, `${entry.event} · ${entry.packId}@${entry.packVersion} · ${entry.durationMicros} µs`),
      entry.applied.length ? h('p', {}, `${t('applied')}: `, entry.applied.join(', ')) : null,
      entry.rejected.length ? h('p', {}, `${t('rejected')}: `, entry.rejected.map((r) => `${r.action} (${r.reason})`).join(', ')) : null,
      entry.error ? h('p', { class: 'form-error' }, `${t('error')}: ${entry.error}`) : null));
    mount(container, h('summary', {}, t('audit')), rows.length ? h('ul', { class: 'audit-list' }, rows) : h('p', { class: 'hint' }, t('noAudit')));
  } catch (error) {
    mount(container, h('summary', {}, t('audit')), h('p', { class: 'form-error' }, error.message));
  }
}

async function act(kind, body) {
  const id = state.current.ticket.ticketId;
  try {
    const answer = await state.api.post(`/api/v2/tickets/${enc(id)}/${kind}`, body);
    if (answer?.ticket) {
      place(normalize(answer.ticket));
      renderTabs();
      renderList();
    }
    // Read again: a single read carries the SLA clocks' time left.
    await refreshTicket();
  } catch (error) {
    failure(error);
  }
}

function inlineForm(actions, label, inputs, submit) {
  const existing = actions.querySelector('.inline-form');
  if (existing) existing.remove();
  const form = h('form', { class: 'inline-form', onsubmit: (event) => { event.preventDefault(); submit(); } },
    h('strong', {}, label), inputs,
    h('button', { type: 'submit', class: 'primary' }, t('save')),
    h('button', { type: 'button', onclick: () => form.remove() }, t('cancel')));
  actions.append(form);
  form.querySelector('input, select, textarea')?.focus();
}

function resolveForm(actions) {
  const notes = h('input', { id: 'resolution-notes', 'aria-label': t('resolutionNotes'), placeholder: t('resolutionNotes') });
  inlineForm(actions, t('resolve'), [notes], () => act('resolve', { resolutionNotes: notes.value.trim() }));
}

function escalateForm(actions) {
  const reason = h('input', { id: 'escalate-reason', 'aria-label': t('escalateReason'), placeholder: t('escalateReason'), required: true });
  inlineForm(actions, t('escalate'), [reason], () => act('escalate', { reason: reason.value.trim() }));
}

function transferForm(actions) {
  const others = [...state.agents.values()].filter((a) => a.id !== state.current.ticket.assignedAgent);
  const select = h('select', { id: 'transfer-to', 'aria-label': t('transferTo') }, others.map((a) => h('option', { value: a.id }, a.name)));
  inlineForm(actions, t('transferTo'), [select], () => act('transfer', { toAgentId: select.value }));
}


// The ticket lists: waiting conversations (pending), mine, and all with filters and search;
// the live events that keep them current; claiming a waiting ticket.

import { h, mount, time } from './dom.js';
import { query, enc } from './api.js';
import { state, t, toast, failure, agentName, statusLabel, categoryLabel, isOpen } from './state.js';
import { renderTabs } from './shell.js';
import { refreshTicket, receiveMessage, markReadByCustomer, showTyping } from './ticket.js';
import { go } from './staff.js';

export function normalize(ticket) {
  return {
    ticketId: ticket.ticketId, subject: ticket.subject, status: ticket.status, priority: ticket.priority, category: ticket.category,
    queue: ticket.queue, assignedAgent: ticket.assignedAgent, customerId: ticket.customerId,
    unreadStaff: ticket.unreadStaff ?? ticket.chat?.unreadStaff ?? 0,
    lastMessage: ticket.lastMessage ?? ticket.chat?.lastMessage, updatedAt: ticket.updatedAt, version: ticket.version,
    escalated: ticket.escalated ?? Boolean(ticket.escalation),
  };
}

export async function loadList(tab, quiet = false) {
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

export function renderList() {
  if (!state.shell || ['admin', 'reports'].includes(state.tab)) return;
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

export function renderItem(ticket, tab) {
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

export function renderFilters() {
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

export function upsert(list, summary) {
  const index = list.findIndex((item) => item.ticketId === summary.ticketId);
  if (index >= 0) {
    if ((list[index].version ?? 0) > (summary.version ?? 0)) return;
    list[index] = { ...list[index], ...summary };
  } else list.unshift(summary);
}

export function remove(list, ticketId) {
  const index = list.findIndex((item) => item.ticketId === ticketId);
  if (index >= 0) list.splice(index, 1);
}

/** Places a ticket's newest summary in the lists it belongs to. */
export function place(summary) {
  const { pending, mine, all } = state.lists;
  if (!summary.assignedAgent && isOpen(summary)) upsert(pending, summary);
  else remove(pending, summary.ticketId);
  if (summary.assignedAgent === state.user.subject && isOpen(summary)) upsert(mine, summary);
  else remove(mine, summary.ticketId);
  const inAll = all.findIndex((item) => item.ticketId === summary.ticketId);
  if (inAll >= 0) all[inAll] = { ...all[inAll], ...summary };
}

export function onEvent(frame) {
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
    case 'agent_presence':
      // Someone came online, went away or offline: the header and the agents screen listen.
      window.dispatchEvent(new CustomEvent('docket:presence', { detail: data }));
      return;
    case 'pack_rollout':
      // A staged rollout ended by itself: every member of staff hears it, the reason is on the pack screen.
      if (data.state === 'rolled_back') toast(t('rolloutRolledBack', { v: `${data.packId} ${data.version}` }), 'warn');
      return;
    case 'sla_warning':
    case 'sla_breached':
    case 'ticket_timer':
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

export async function claim(ticketId) {
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

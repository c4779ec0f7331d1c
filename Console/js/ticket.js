// One ticket: its conversation (messages, typing, read marks, older pages), its header and
// actions (status, resolve, escalate, transfer).

import { h, mount, time } from './dom.js';
import { query, enc } from './api.js';
import { state, t, failure, agentName, statusLabel, isOpen } from './state.js';
import * as conversation from './conversation.js';
import { showReceiptsRead } from './conversation.js';
import { renderTabs } from './shell.js';
import { normalize, loadList, renderList, place, claim } from './queue.js';
import { renderSide, renderSLA } from './ticket-side.js';
import { renderComposer } from './composer.js';

export function renderEmptyDetail() {
  if (!state.shell) return;
  state.shell.main.classList.remove('has-ticket');
  mount(state.shell.detail, h('p', { class: 'empty center-text' }, t('selectTicket')));
}

export function closeTicket() {
  if (state.current && state.live) state.live.unsubscribe(`ticket:${state.current.ticket.ticketId}`);
  state.current = null;
}

export async function openTicket(ticketId, quiet = false) {
  if (['admin', 'reports'].includes(state.tab)) state.tab = 'pending';
  if (state.current && state.current.ticket.ticketId !== ticketId) closeTicket();
  state.shell.main.classList.remove('admin-open', 'reports-open');
  state.shell.main.classList.add('has-ticket');
  if (!quiet) mount(state.shell.detail, h('p', { class: 'loading' }, t('loading')));
  try {
    const [{ ticket }, page] = await Promise.all([
      state.api.get(`/api/v2/tickets/${enc(ticketId)}`),
      latestMessages(ticketId),
    ]);
    state.current = { ticket, messages: page, typing: false, readAt: Date.now() };
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

export async function refreshTicket() {
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

export function receiveMessage(message) {
  const current = state.current;
  if (!message || current.messages.some((m) => m.seq === message.seq)) return;
  current.messages.push(message);
  current.messages.sort((a, b) => a.seq - b.seq);
  if (message.senderType === 'customer') showTyping(false);
  appendMessage(message);
  if (message.senderType === 'customer') markRead();
}

export function markRead() {
  const current = state.current;
  if (!current || document.visibilityState !== 'visible') return;
  if (!current.messages.some((m) => m.senderType === 'customer' && !m.isRead)) return;
  state.api.post(`/api/v2/tickets/${enc(current.ticket.ticketId)}/read`).then(() => {
    for (const m of current.messages) if (m.senderType === 'customer') m.isRead = true;
  }).catch(() => {});
}

export function markReadByCustomer(readAt) {
  for (const message of state.current.messages) {
    if (message.senderType !== 'customer' && message.senderType !== 'system') {
      message.isRead = true;
      message.readAt = message.readAt || readAt;
    }
  }
  showReceiptsRead(state.shell.detail, t);
}

export function showTyping(on) {
  if (!state.current) return;
  conversation.showTyping(state.current, state.shell.detail.querySelector('.typing'), on, t('typing', { name: state.t.words.customerNoun }));
}

function messageView(message) {
  return conversation.messageView(message, state.t, 'staff');
}

function appendMessage(message) {
  conversation.appendMessage(state.shell.detail.querySelector('.messages'), messageView(message), message.senderType !== 'customer');
}

export function renderTicket(options = {}) {
  const { ticket, messages } = state.current;
  const draft = options.keepComposer ? state.shell.detail.querySelector('textarea')?.value : '';
  const mode = options.keepComposer ? state.shell.detail.querySelector('.composer')?.dataset.mode : 'reply';
  const flow = state.config.workflow;
  const status = flow.statuses.find((s) => s.id === ticket.status);
  const open = isOpen(ticket);
  const mine = ticket.assignedAgent === state.user.subject;

  const header = h('div', { class: 'ticket-head' },
    h('a', { href: `#/${['admin', 'reports'].includes(state.tab) ? 'pending' : state.tab}`, class: 'back' }, `← ${t('back')}`),
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

export async function act(kind, body) {
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

document.addEventListener('visibilitychange', () => markRead());

// The SLA clocks count down on screen between events.
setInterval(() => {
  const box = state.current && state.shell?.detail.querySelector('.sla');
  if (box) box.replaceWith(renderSLA(state.current.ticket) || h('span'));
}, 30000);

// The customer's chat: their conversation live, writing, the agent's typing, read receipts,
// and rating a resolved ticket. The page is opened with a token in its fragment (never sent to
// the server in the URL): #tenant=<id>&token=<widget token signed by the tenant's site>, or
// #access=<a Docket customer token> for trying it out.

import { h, mount, throttle, sendOnEnter } from './dom.js';
import { Api, ApiError, enc } from './api.js';
import { Live } from './live.js';
import { translator } from './i18n.js';
import * as conversation from './conversation.js';

const root = document.getElementById('chat');
const state = { api: new Api(), t: translator(navigator.language), user: null, config: null, ticket: null, messages: [], live: null, typing: false };
const t = (key, values) => state.t(key, values);

// Until the tenant's language is known, the site's (the fragment's `lang`, kept for reloads), else the browser's.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get('lang')) sessionStorage.setItem('docket.chat.lang', fragment.get('lang'));
state.t = translator(sessionStorage.getItem('docket.chat.lang') || navigator.language);

start().catch((error) => mount(root, h('div', { class: 'notice error' },
  h('p', {}, t('chatUnavailable')), h('p', { class: 'hint' }, error.message))));

async function start() {
  if (fragment.has('token') || fragment.has('access')) history.replaceState(null, '', location.pathname + location.search);
  let token = sessionStorage.getItem('docket.chat.token');
  if (fragment.has('token')) {
    const session = await new Api().post('/api/v2/auth/customer', { tenant: fragment.get('tenant') || 'default', token: fragment.get('token') });
    token = session.token;
  } else if (fragment.has('access')) token = fragment.get('access');
  if (!token) {
    mount(root, h('p', { class: 'notice' }, t('chatNeedsToken')));
    return;
  }
  sessionStorage.setItem('docket.chat.token', token);
  state.api = new Api({ token, onSignedOut: () => { sessionStorage.removeItem('docket.chat.token'); mount(root, h('p', { class: 'notice' }, t('chatNeedsToken'))); } });
  const session = await state.api.get('/api/v2/auth/session');
  state.user = session.user;
  state.config = await state.api.get('/api/v2/config/console');
  state.t = translator(state.config.locale, state.config.terminology);
  document.documentElement.lang = state.t.lang;
  document.title = `${state.config.tenantName} · ${t('chatTitle')}`;
  await loadLatest();
  state.live = new Live({ rooms: [`customer:${state.user.subject}`], token, onEvent: onEvent, onState: (value) => setConnection(value), onResync: () => loadLatest() }).start();
  setInterval(() => refreshToken(), 5 * 60 * 1000);
}

async function refreshToken() {
  try {
    const fresh = await state.api.post('/api/v2/auth/refresh');
    state.api.token = fresh.token;
    state.live.token = fresh.token;
    sessionStorage.setItem('docket.chat.token', fresh.token);
  } catch {
    // A plain customer token (docket token) is not refreshed; it lives as long as it was made for.
  }
}

async function loadLatest() {
  const page = await state.api.get('/api/v2/tickets?sortBy=updatedAt&sortOrder=desc&limit=1');
  state.ticket = page.tickets[0] || null;
  state.messages = [];
  if (state.ticket) {
    const count = state.ticket.chat?.messageCount || 0;
    const after = Math.max(0, count - 100);
    const list = await state.api.get(`/api/v2/tickets/${enc(state.ticket.ticketId)}/messages?limit=100${after ? `&after=${after}` : ''}`);
    state.messages = list.messages;
  }
  render();
  markRead();
}

const isOpen = (ticket) => conversation.isOpen(state.config, ticket);
const statusLabel = (id) => conversation.statusLabel(state.config, state.t, id);
const setConnection = (value) => conversation.showConnection(root.querySelector('.pill'), value, t);
const messageView = (message) => conversation.messageView(message, state.t, 'customer');
const showTyping = (on) => conversation.showTyping(state, root.querySelector('.typing'), on, t('agentTyping'));

function onEvent(frame) {
  const data = frame.data || {};
  const mineTicket = state.ticket && data.ticketId === state.ticket.ticketId;
  switch (frame.type) {
    case 'new_message':
      if (!state.ticket || data.ticketId !== state.ticket.ticketId) {
        if (data.ticket && data.message) loadLatest();
        return;
      }
      addMessage(data.message);
      if (data.message.senderType !== 'customer') {
        showTyping(false);
        markRead();
      }
      return;
    case 'typing':
    case 'stop_typing':
      if (mineTicket && data.senderType !== 'customer') showTyping(frame.type === 'typing');
      return;
    case 'messages_read':
      if (mineTicket && data.reader === 'staff') {
        for (const m of state.messages) if (m.senderType === 'customer') m.isRead = true;
        conversation.showReceiptsRead(root, t);
      }
      return;
    default:
      if (data.ticket && state.ticket && data.ticket.ticketId === state.ticket.ticketId) {
        state.ticket = { ...state.ticket, ...data.ticket, chat: state.ticket.chat };
        renderState();
      }
  }
}

function addMessage(message) {
  if (!message || state.messages.some((m) => m.seq === message.seq)) return;
  state.messages.push(message);
  conversation.appendMessage(root.querySelector('.messages'), messageView(message), true);
}

function markRead() {
  if (!state.ticket || document.visibilityState !== 'visible') return;
  if (!state.messages.some((m) => m.senderType !== 'customer' && m.senderType !== 'system' && !m.isRead)) return;
  state.api.post(`/api/v2/tickets/${enc(state.ticket.ticketId)}/read`).catch(() => {});
}
document.addEventListener('visibilitychange', () => markRead());

function render() {
  const list = h('ol', { class: 'messages', 'aria-label': t('conversation') }, state.messages.map(messageView));
  const area = h('textarea', { id: 'chat-text', rows: 2, 'aria-label': t('chatPlaceholder'), placeholder: t('chatPlaceholder') });
  const typing = throttle(() => { if (state.ticket && isOpen(state.ticket)) state.live?.typing(state.ticket.ticketId, true); }, 3000);
  area.addEventListener('input', typing);
  area.addEventListener('blur', () => { if (state.ticket) state.live?.typing(state.ticket.ticketId, false); });
  const send = async () => {
    const content = area.value.trim();
    if (!content) return;
    area.disabled = true;
    try {
      const answer = await state.api.post('/api/v2/messages', { content });
      area.value = '';
      if (!state.ticket || answer.ticket.ticketId !== state.ticket.ticketId) {
        state.ticket = answer.ticket;
        state.messages = [];
        render();
      } else state.ticket = answer.ticket;
      addMessage(answer.message);
      renderState();
    } catch (error) {
      toastInline(t('failed', { m: error instanceof ApiError ? error.message : String(error) }));
    } finally {
      area.disabled = false;
      area.focus();
    }
  };
  sendOnEnter(area, send);
  mount(root,
    h('header', { class: 'chat-head' }, h('img', { src: '/favicon.svg', alt: '', width: 24, height: 24 }),
      h('div', {}, h('strong', {}, state.config.tenantName), h('span', { class: 'ticket-state' })),
      h('span', { class: 'pill connecting', role: 'status' }, t('connecting'))),
    h('p', { class: 'hint intro' }, t('chatIntro')),
    list,
    h('p', { class: 'typing', hidden: true, 'aria-live': 'polite' }),
    h('div', { class: 'rating-slot' }),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('form', { class: 'composer', onsubmit: (event) => { event.preventDefault(); send(); } }, area, h('button', { type: 'submit', class: 'primary' }, t('send'))));
  list.scrollTop = list.scrollHeight;
  if (state.live) setConnection(state.live.state);
  renderState();
}

function toastInline(text) {
  const el = root.querySelector('.form-error');
  el.hidden = false;
  el.textContent = text;
  setTimeout(() => { el.hidden = true; }, 6000);
}

function renderState() {
  const label = root.querySelector('.ticket-state');
  const slot = root.querySelector('.rating-slot');
  if (!label || !slot) return;
  label.textContent = state.ticket ? ` · ${t('yourTicket', { id: state.ticket.ticketId })} · ${statusLabel(state.ticket.status)}` : '';
  mount(slot);
  if (!state.ticket || isOpen(state.ticket)) return;
  slot.append(h('p', { class: 'hint' }, t('chatClosed', { status: statusLabel(state.ticket.status) })));
  if (state.ticket.customerFeedback) {
    slot.append(h('p', { class: 'hint' }, t('rateThanks')));
    return;
  }
  let rating = 0;
  const stars = [1, 2, 3, 4, 5].map((n) => h('button', { type: 'button', class: 'star', 'aria-label': `${n}/5`, 'aria-pressed': 'false', onclick: () => {
    rating = n;
    stars.forEach((star, i) => { star.classList.toggle('on', i < n); star.setAttribute('aria-pressed', i < n ? 'true' : 'false'); });
  } }, '★'));
  const comment = h('input', { id: 'rating-comment', 'aria-label': t('comment'), placeholder: t('comment'), maxlength: 1000 });
  slot.append(h('form', { class: 'card rating', onsubmit: async (event) => {
    event.preventDefault();
    if (!rating) return;
    try {
      const answer = await state.api.post(`/api/v2/tickets/${enc(state.ticket.ticketId)}/feedback`, { rating, comment: comment.value.trim() || undefined });
      state.ticket = answer.ticket || { ...state.ticket, customerFeedback: { rating } };
      renderState();
    } catch (error) {
      toastInline(t('failed', { m: error.message }));
    }
  } }, h('strong', {}, t('rate')), h('div', { class: 'stars', role: 'group', 'aria-label': t('rate') }, stars), comment, h('button', { type: 'submit', class: 'primary' }, t('sendRating'))));
}

// What the agent's workspace shows, shared by its screens (router, session, shell, queue,
// ticket), and the few words every screen uses to speak to the person.

import { h } from './dom.js';
import { ApiError } from './api.js';
import { translator } from './i18n.js';
import * as conversation from './conversation.js';

export const app = document.getElementById('app');
const toasts = document.getElementById('toasts');

export const state = {
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
  current: null, // { ticket, messages, typing, typingTimer, readAt }
  connection: 'connecting',
  shell: null,
};

export function t(key, values) {
  return state.t(key, values);
}

export function toast(text, kind = 'info') {
  const el = h('div', { class: `toast ${kind}` }, text);
  toasts.append(el);
  setTimeout(() => el.remove(), 5000);
}

export function failure(error) {
  toast(t('failed', { m: error instanceof ApiError || error instanceof Error ? error.message : String(error) }), 'error');
}

export function agentName(id) {
  if (!id) return t('unassigned');
  if (state.user && id === state.user.subject) return t('you');
  return state.agents.get(id)?.name || id;
}

export function statusLabel(id) {
  return conversation.statusLabel(state.config, state.t, id);
}

export function categoryLabel(id) {
  const category = state.config.categories.find((c) => c.id === id);
  if (!category) return id;
  return state.t.lang === 'en' ? category.labelEn || category.label : category.label;
}

export function isOpen(ticket) {
  return conversation.isOpen(state.config, ticket);
}

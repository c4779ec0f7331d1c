// Signing in and out: the sign-in and new-password screens, the console session (restored
// from its cookie), and the workspace it starts (configuration, agents, the live connection).

import { h, mount, field } from './dom.js';
import { ApiError } from './api.js';
import { Live } from './live.js';
import { translator } from './i18n.js';
import { app, state, t } from './state.js';
import { setConnection, reloadEverything } from './shell.js';
import { onEvent } from './queue.js';
import { route } from './staff.js';

export async function restoreSession() {
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

export async function startWorkspace(user) {
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

export function signedOut() {
  if (!state.user) return;
  if (state.live) state.live.stop();
  state.user = null;
  state.shell = null;
  renderLogin(t('signInFailed'));
}

export async function loadAgents() {
  try {
    const page = await state.api.get('/api/v2/agents?limit=100');
    state.agents = new Map(page.agents.map((agent) => [agent.id, agent]));
  } catch {
    state.agents = new Map();
  }
}

export function renderLogin(message) {
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

export function renderPassword(token) {
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

export async function signOut() {
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

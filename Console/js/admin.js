// The admin's screens: agents (create, invite or reset with a one-time link shown once) and
// the widget secret that lets the tenant's site open customer chats; the other sections (packs,
// settings, API keys, webhooks, workspaces) are in their own modules.

import { h, mount, field } from './dom.js';
import { enc } from './api.js';
import { wordsOf } from './i18n.js';
import { renderPacks } from './packs.js';
import { renderSettings, renderKeys, renderTenants } from './settings.js';
import { renderWebhooks } from './webhooks.js';

const sections = {
  en: { agents: 'Agents', packs: 'Packs', settings: 'Settings', keys: 'API keys', webhooks: 'Webhooks', tenants: 'Workspaces' },
  es: { agents: 'Agentes', packs: 'Paquetes', settings: 'Configuración', keys: 'Claves de API', webhooks: 'Webhooks', tenants: 'Espacios' },
  vi: { agents: 'Nhân viên', packs: 'Gói', settings: 'Cài đặt', keys: 'Khóa API', webhooks: 'Webhook', tenants: 'Không gian' },
};

/** The admin area: a row of sections, each rendered into the page below it. */
export async function renderAdmin(container, context, section = 'agents') {
  const names = sections[context.t.lang] || sections.en;
  const available = ['agents', 'packs', 'settings', 'keys', 'webhooks', ...(context.user.role === 'platform' ? ['tenants'] : [])];
  const current = available.includes(section) ? section : 'agents';
  const body = h('div', { class: 'admin-body' });
  mount(container, h('div', { class: 'admin' }, h('h2', {}, context.t('admin')),
    h('nav', { class: 'subtabs', 'aria-label': context.t('admin') }, available.map((id) => h('a', {
      href: `#/admin/${id}`, class: `tab${id === current ? ' active' : ''}`, 'aria-current': id === current ? 'page' : null,
    }, names[id]))), body));
  const render = { agents: renderAgents, packs: renderPacks, settings: renderSettings, keys: renderKeys, webhooks: renderWebhooks, tenants: renderTenants }[current];
  await render(body, context);
}

const words = {
  en: { save: 'Save', saved: 'Saved.', deactivate: 'Deactivate', reactivate: 'Reactivate', inactive: 'deactivated', agents: 'Agents', addAgent: 'Add an agent', name: 'Name', email: 'E-mail', role: 'Role', skills: 'Skills (comma separated)', capacity: 'Capacity',
    add: 'Add', invite: 'Invitation link', reset: 'Password reset link', linkShown: 'Send this link to {email}. It works once, until {t}, and is not shown again:', linkMailed: 'mailed to {email}. It works once, until {t}.', linkNotMailed: 'The mail could not be sent:',
    widget: 'Customer chat widget', widgetOn: 'A widget secret is set.', widgetOff: 'No widget secret yet.', newSecret: 'Make a new secret',
    secretShown: 'The new secret (not shown again; the old one stops working):', signsIn: 'can sign in', noPassword: 'no password yet' },
  es: { save: 'Guardar', saved: 'Guardado.', deactivate: 'Desactivar', reactivate: 'Reactivar', inactive: 'desactivado', agents: 'Agentes', addAgent: 'Agregar agente', name: 'Nombre', email: 'Correo', role: 'Rol', skills: 'Habilidades (separadas por comas)', capacity: 'Capacidad',
    add: 'Agregar', invite: 'Enlace de invitación', reset: 'Enlace para cambiar contraseña', linkShown: 'Envía este enlace a {email}. Sirve una vez, hasta {t}, y no se vuelve a mostrar:', linkMailed: 'enviado por correo a {email}. Sirve una vez, hasta {t}.', linkNotMailed: 'No se pudo enviar el correo:',
    widget: 'Widget de chat para clientes', widgetOn: 'Hay un secreto de widget.', widgetOff: 'Aún no hay secreto de widget.', newSecret: 'Crear un secreto nuevo',
    secretShown: 'El secreto nuevo (no se vuelve a mostrar; el anterior deja de servir):', signsIn: 'puede entrar', noPassword: 'sin contraseña aún' },
  vi: { save: 'Lưu', saved: 'Đã lưu.', deactivate: 'Vô hiệu hóa', reactivate: 'Kích hoạt lại', inactive: 'đã vô hiệu hóa', agents: 'Nhân viên', addAgent: 'Thêm nhân viên', name: 'Tên', email: 'Email', role: 'Vai trò', skills: 'Kỹ năng (cách nhau bằng dấu phẩy)', capacity: 'Sức chứa',
    add: 'Thêm', invite: 'Liên kết mời', reset: 'Liên kết đặt lại mật khẩu', linkShown: 'Gửi liên kết này cho {email}. Chỉ dùng một lần, đến {t}, và không hiển thị lại:', linkMailed: 'đã gửi qua thư tới {email}. Chỉ dùng một lần, đến {t}.', linkNotMailed: 'Không gửi được thư:',
    widget: 'Widget trò chuyện cho khách hàng', widgetOn: 'Đã có khóa bí mật widget.', widgetOff: 'Chưa có khóa bí mật widget.', newSecret: 'Tạo khóa mới',
    secretShown: 'Khóa mới (không hiển thị lại; khóa cũ ngừng hoạt động):', signsIn: 'có thể đăng nhập', noPassword: 'chưa có mật khẩu' },
};

async function renderAgents(container, { api, t, toast, failure }) {
  const w = wordsOf(words, t);
  const output = h('div', { class: 'shown-once', role: 'status', 'aria-live': 'polite' });
  const agentList = h('ul', { class: 'agents' });
  const widgetState = h('p', {});

  const presence = {};
  const dot = (id) => {
    const status = presence[id] || 'offline';
    return h('span', { class: `presence-dot ${status}`, dataset: { presence: id } }, t(`presence_${status}`));
  };
  window.addEventListener('docket:presence', (event) => {
    presence[event.detail.agentId] = event.detail.status;
    const shown = agentList.querySelector(`[data-presence="${CSS.escape(event.detail.agentId)}"]`);
    if (shown) shown.replaceWith(dot(event.detail.agentId));
  });

  async function loadAgents() {
    const [page, now] = await Promise.all([api.get('/api/v2/agents?limit=100'), api.get('/api/v2/presence').catch(() => ({ presence: [] }))]);
    for (const entry of now.presence) presence[entry.agentId] = entry.status;
    mount(agentList, page.agents.map((agent) => {
      const active = agent.active !== false;
      const skills = h('input', { value: (agent.skills || []).join(', '), 'aria-label': `${agent.name}: ${w('skills')}`, class: 'agent-skills' });
      const capacity = h('input', { type: 'number', min: 1, max: 1000, value: agent.capacity, 'aria-label': `${agent.name}: ${w('capacity')}`, class: 'agent-capacity' });
      const patch = async (body) => {
        try {
          await api.call('PATCH', `/api/v2/agents/${enc(agent.id)}`, body);
          toast(w('saved'), 'ok');
          await loadAgents();
        } catch (error) {
          failure(error);
        }
      };
      return h('li', { class: `agent-row${active ? '' : ' inactive'}`, dataset: { agent: agent.id } },
        h('span', { class: 'name' }, agent.name, ' ', active ? dot(agent.id) : null), h('span', { class: 'stamp' }, `${agent.email || '—'} · ${agent.role} · ${agent.id}${active ? '' : ` · ${w('inactive')}`}`),
        h('span', { class: 'agent-edit' }, skills, capacity,
          h('button', { type: 'button', onclick: () => patch({ skills: skills.value.split(',').map((x) => x.trim()).filter(Boolean), capacity: Number(capacity.value) }) }, w('save'))),
        h('span', { class: 'agent-actions' },
          agent.email && active ? h('button', { type: 'button', onclick: () => link(agent) }, w('invite')) : null,
          h('button', { type: 'button', class: active ? 'deactivate' : 'reactivate', onclick: () => patch({ active: !active }) }, active ? w('deactivate') : w('reactivate'))));
    }));
  }

  async function link(agent) {
    try {
      const { link: made } = await api.post(`/api/v2/agents/${enc(agent.id)}/password-link`);
      const until = new Date(made.expiresAt).toLocaleString(t.lang);
      if (made.mailedTo) {
        mount(output, h('p', { class: 'mailed' }, w(made.purpose === 'invite' ? 'invite' : 'reset'), ': ', w('linkMailed', { email: made.mailedTo, t: until })));
        return;
      }
      mount(output, made.mailError ? h('p', { class: 'error' }, w('linkNotMailed'), ' ', made.mailError) : null,
        h('p', {}, w(made.purpose === 'invite' ? 'invite' : 'reset'), ': ', w('linkShown', { email: made.email, t: until })),
        h('input', { class: 'secret', readonly: true, value: made.url, 'aria-label': w('invite'), onfocus: (event) => event.target.select() }));
    } catch (error) {
      failure(error);
    }
  }

  const name = h('input', { id: 'agent-name', required: true, maxlength: 100 });
  const email = h('input', { id: 'agent-email', type: 'email', required: true });
  const role = h('select', { id: 'agent-role' }, ['agent', 'supervisor', 'admin'].map((r) => h('option', { value: r }, r)));
  const skills = h('input', { id: 'agent-skills' });
  const capacity = h('input', { id: 'agent-capacity', type: 'number', min: 1, max: 1000, value: 10 });
  const create = h('form', { class: 'card grid-form', onsubmit: async (event) => {
    event.preventDefault();
    try {
      const { agent } = await api.post('/api/v2/agents', {
        name: name.value.trim(), email: email.value.trim(), role: role.value,
        skills: skills.value.split(',').map((s) => s.trim()).filter(Boolean), capacity: Number(capacity.value) || 10,
      });
      name.value = email.value = skills.value = '';
      await loadAgents();
      await link(agent);
    } catch (error) {
      failure(error);
    }
  } },
    h('h3', {}, w('addAgent')),
    field(w('name'), name), field(w('email'), email), field(w('role'), role), field(w('skills'), skills), field(w('capacity'), capacity),
    h('button', { type: 'submit', class: 'primary' }, w('add')));

  async function loadWidget() {
    const { configured } = await api.get('/api/v2/config/widget');
    widgetState.textContent = configured ? w('widgetOn') : w('widgetOff');
  }
  const widget = h('section', { class: 'card' }, h('h3', {}, w('widget')), widgetState,
    h('button', { type: 'button', onclick: async () => {
      try {
        const { secret } = await api.post('/api/v2/config/widget-secret');
        mount(output, h('p', {}, w('secretShown')), h('input', { class: 'secret', readonly: true, value: secret, 'aria-label': w('widget'), onfocus: (event) => event.target.select() }));
        await loadWidget();
      } catch (error) {
        failure(error);
      }
    } }, w('newSecret')));

  mount(container, output, h('section', { class: 'card' }, h('h3', {}, w('agents')), agentList), create, widget);
  try {
    await Promise.all([loadAgents(), loadWidget()]);
  } catch (error) {
    failure(error);
  }
  void toast;
}

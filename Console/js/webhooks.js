// The admin's webhooks: register an endpoint (its signing secret shown once), turn it off and
// on, remove it, and read its delivery log with a redeliver button per delivery.

import { h, mount, field } from './dom.js';
import { enc } from './api.js';
import { wordsOf } from './i18n.js';

const words = {
  en: { webhooks: 'Webhooks', add: 'Add an endpoint', url: 'URL (https://…)', events: 'Events (none ticked: all)', create: 'Add',
    secretShown: 'Signing secret for this endpoint (not shown again; it signs Docket-Signature):', on: 'on', off: 'off',
    turnOff: 'Turn off', turnOn: 'Turn on', remove: 'Remove', deliveries: 'Deliveries', redeliver: 'Send again', none: 'No deliveries yet.',
    retrying: 'retrying event {id} ({n} attempts; next {at}): {error}', disabled: 'turned off: {reason}', upTo: 'done up to event {id}', all: 'all events',
    delivered: 'delivered', retryingShort: 'retrying', failed: 'failed' },
  es: { webhooks: 'Webhooks', add: 'Agregar un endpoint', url: 'URL (https://…)', events: 'Eventos (ninguno marcado: todos)', create: 'Agregar',
    secretShown: 'Secreto de firma de este endpoint (no se vuelve a mostrar; firma Docket-Signature):', on: 'activo', off: 'apagado',
    turnOff: 'Apagar', turnOn: 'Encender', remove: 'Quitar', deliveries: 'Entregas', redeliver: 'Enviar de nuevo', none: 'Aún no hay entregas.',
    retrying: 'reintentando el evento {id} ({n} intentos; el próximo {at}): {error}', disabled: 'apagado: {reason}', upTo: 'al día hasta el evento {id}', all: 'todos los eventos',
    delivered: 'entregado', retryingShort: 'reintentando', failed: 'fallido' },
  vi: { webhooks: 'Webhook', add: 'Thêm endpoint', url: 'URL (https://…)', events: 'Sự kiện (không chọn: tất cả)', create: 'Thêm',
    secretShown: 'Khóa ký của endpoint này (không hiển thị lại; dùng cho Docket-Signature):', on: 'đang bật', off: 'đã tắt',
    turnOff: 'Tắt', turnOn: 'Bật', remove: 'Xóa', deliveries: 'Lần gửi', redeliver: 'Gửi lại', none: 'Chưa có lần gửi nào.',
    retrying: 'đang thử lại sự kiện {id} ({n} lần; lần tới {at}): {error}', disabled: 'đã tắt: {reason}', upTo: 'đã gửi đến sự kiện {id}', all: 'mọi sự kiện',
    delivered: 'đã gửi', retryingShort: 'đang thử lại', failed: 'thất bại' },
};

const EVENTS = ['ticket_created', 'ticket_updated', 'ticket_assigned', 'ticket_claimed', 'ticket_note_added', 'ticket_resolved',
  'ticket_escalated', 'new_pending_ticket', 'new_message', 'messages_read', 'rule_fired', 'sla_warning', 'sla_breached',
  'ticket_timer', 'pack_activated', 'pack_rollout', 'notification', 'webhook_disabled', 'agent_presence'];

export async function renderWebhooks(container, { api, t, toast, failure }) {
  const w = wordsOf(words, t);
  const shown = h('div', { class: 'shown-once', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'agents webhooks' });
  const log = h('section', { class: 'card deliveries', hidden: true });
  const when = (iso) => new Date(iso).toLocaleString(t.lang);

  async function showDeliveries(hook) {
    // The endpoint's line is read again too: what it is retrying changes with the log.
    const [{ deliveries }] = await Promise.all([api.get(`/api/v2/webhooks/${enc(hook.id)}/deliveries?limit=50`), load()]);
    log.hidden = false;
    mount(log, h('h3', {}, `${w('deliveries')} · ${hook.url}`), deliveries.length === 0 ? h('p', {}, w('none')) : h('table', {},
      h('tbody', {}, deliveries.map((d) => h('tr', { class: `delivery ${d.status}`, dataset: { delivery: d.id } },
        h('td', {}, h('code', {}, d.event)), h('td', {}, `#${d.eventId}`), h('td', { class: 'status' }, w({ delivered: 'delivered', retrying: 'retryingShort', failed: 'failed' }[d.status] || 'failed')),
        // What the endpoint said is its text, never markup.
        h('td', {}, d.statusCode ? String(d.statusCode) : (d.error || '')), h('td', {}, `×${d.attempts}`), h('td', {}, when(d.lastAttemptAt)),
        h('td', {}, h('button', { type: 'button', class: 'redeliver', onclick: async () => {
          try {
            await api.post(`/api/v2/webhooks/${enc(hook.id)}/deliveries/${enc(d.id)}/redeliver`);
            await showDeliveries(hook);
          } catch (error) {
            failure(error);
          }
        } }, w('redeliver'))))))));
  }

  async function load() {
    const { webhooks } = await api.get('/api/v2/webhooks');
    mount(list, webhooks.map((hook) => {
      const state = hook.active ? (hook.retrying
        ? w('retrying', { id: hook.retrying.eventId, n: hook.retrying.attempts, at: when(hook.retrying.nextAttemptAt), error: hook.retrying.lastError })
        : w('upTo', { id: hook.cursor }))
        : (hook.disabledReason ? w('disabled', { reason: hook.disabledReason }) : w('off'));
      const patch = async (body) => {
        try {
          await api.call('PATCH', `/api/v2/webhooks/${enc(hook.id)}`, body);
          toast(hook.url, 'ok');
          await load();
        } catch (error) {
          failure(error);
        }
      };
      return h('li', { class: `agent-row webhook${hook.active ? '' : ' inactive'}`, dataset: { webhook: hook.id } },
        h('span', { class: 'name' }, hook.url),
        h('span', { class: 'stamp' }, `${hook.events.length ? hook.events.join(', ') : w('all')} · ${hook.active ? w('on') : w('off')}`),
        h('span', { class: 'stamp webhook-state' }, state),
        h('span', { class: 'agent-actions' },
          h('button', { type: 'button', class: 'show-deliveries', onclick: () => showDeliveries(hook).catch(failure) }, w('deliveries')),
          h('button', { type: 'button', class: hook.active ? 'deactivate' : 'reactivate', onclick: () => patch({ active: !hook.active }) },
            hook.active ? w('turnOff') : w('turnOn')),
          h('button', { type: 'button', class: 'remove', onclick: async () => {
            try {
              await api.del(`/api/v2/webhooks/${enc(hook.id)}`);
              log.hidden = true;
              await load();
            } catch (error) {
              failure(error);
            }
          } }, w('remove'))));
    }));
  }

  const url = h('input', { id: 'webhook-url', type: 'url', required: true, maxlength: 2048, placeholder: 'https://' });
  const boxes = EVENTS.map((event) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: event, class: 'webhook-event' }), ` ${event}`));
  const form = h('form', { class: 'card grid-form', onsubmit: async (event) => {
    event.preventDefault();
    try {
      const events = boxes.map((box) => box.querySelector('input')).filter((box) => box.checked).map((box) => box.value);
      const made = await api.post('/api/v2/webhooks', { url: url.value.trim(), events });
      mount(shown, h('p', {}, w('secretShown')),
        h('input', { class: 'secret', readonly: true, value: made.secret, 'aria-label': w('webhooks'), onfocus: (e) => e.target.select() }));
      url.value = '';
      for (const box of boxes) box.querySelector('input').checked = false;
      await load();
    } catch (error) {
      failure(error);
    }
  } }, h('h3', {}, w('add')), field(w('url'), url), h('fieldset', { class: 'webhook-events' }, h('legend', {}, w('events')), boxes),
  h('button', { type: 'submit', class: 'primary' }, w('create')));
  mount(container, shown, h('section', { class: 'card' }, h('h3', {}, w('webhooks')), list), log, form);
  try {
    await load();
  } catch (error) {
    failure(error);
  }
}

// The admin's tenant settings over the config routes (terminology, ticket ID format, business
// hours with several periods a day and holidays, categories, assistant), API keys, and — for
// the platform role — tenants.

import { h, mount, field } from './dom.js';
import { enc } from './api.js';
import { wordsOf } from './i18n.js';

const words = {
  en: { terminology: 'Words', idFormat: 'Ticket IDs', hours: 'Business hours', categories: 'Categories', assistant: 'AI assistant',
    save: 'Save', saved: 'Saved.', reset: 'Back to the pack', addPeriod: '+ period', addCategory: '+ category', holidays: 'Holidays (one per line: YYYY-MM-DD or MM-DD)',
    timeZone: 'Time zone', closed: 'closed', example: 'Next ID looks like', keys: 'API keys', keyName: 'Name', keyRole: 'Role', create: 'Create',
    revoke: 'Revoke', keyShown: 'The key (shown only now):', revoked: 'revoked', tenants: 'Workspaces', newTenant: 'New workspace', tenantId: 'Id',
    tenantName: 'Name', pack: 'Pack', switchPack: 'Switch', active: 'active',
    mail: 'E-mail', mailAddresses: 'Addresses that receive mail (one per line)', mailFrom: 'Mail comes from (empty: the first address)',
    relay: 'Relay (empty host: no mail out)', relayHost: 'Host', relayPort: 'Port', relaySecurity: 'Security', relayUser: 'User',
    relayPassword: 'Password', passwordKept: 'kept — type to change', acks: 'Acknowledgements per sender per hour (0: none)',
    notifyStaff: 'Tell staff by mail of assignments and SLA warnings and breaches', dkim: 'DKIM keys (Docket makes one for a new domain)',
    addKey: '+ key', domain: 'Domain', selector: 'Selector', publish: 'Publish in DNS', sent: 'sent', failed: 'given up', lastError: 'last error',
    retrying: 'retrying', quarantine: 'Quarantine: mail that could not be read', noQuarantine: 'Nothing in quarantine.',
    accept: 'Accept anyway', discard: 'Discard', accepted: 'Accepted: {r}',
    mailboxes: 'Mailboxes Docket fetches (IMAP)', addBox: '+ mailbox', boxId: 'Name (a-z, 0-9, -)', boxFolder: 'Folder (empty: INBOX)',
    boxAddress: 'Receives for (empty: the first address)', boxPoll: 'Look every … seconds without IDLE', removeBox: 'Remove mailbox',
    fetched: 'fetched', idling: 'told of new mail at once (IDLE)', polling: 'looked at every {n} s', notYet: 'not fetched yet' },
  es: { terminology: 'Palabras', idFormat: 'Folios', hours: 'Horario hábil', categories: 'Categorías', assistant: 'Asistente de IA',
    save: 'Guardar', saved: 'Guardado.', reset: 'Volver al paquete', addPeriod: '+ periodo', addCategory: '+ categoría', holidays: 'Feriados (uno por línea: AAAA-MM-DD o MM-DD)',
    timeZone: 'Zona horaria', closed: 'cerrado', example: 'El siguiente folio se verá así', keys: 'Claves de API', keyName: 'Nombre', keyRole: 'Rol', create: 'Crear',
    revoke: 'Revocar', keyShown: 'La clave (solo se muestra ahora):', revoked: 'revocada', tenants: 'Espacios', newTenant: 'Espacio nuevo', tenantId: 'Id',
    tenantName: 'Nombre', pack: 'Paquete', switchPack: 'Cambiar', active: 'activo',
    mail: 'Correo', mailAddresses: 'Direcciones que reciben correo (una por línea)', mailFrom: 'El correo sale de (vacío: la primera dirección)',
    relay: 'Servidor de salida (sin host: no se envía correo)', relayHost: 'Host', relayPort: 'Puerto', relaySecurity: 'Seguridad', relayUser: 'Usuario',
    relayPassword: 'Contraseña', passwordKept: 'guardada — escribe para cambiarla', acks: 'Acuses de recibo por remitente y hora (0: ninguno)',
    notifyStaff: 'Avisar al personal por correo de asignaciones y de SLA por vencer o vencidos', dkim: 'Claves DKIM (Docket crea una para un dominio nuevo)',
    addKey: '+ clave', domain: 'Dominio', selector: 'Selector', publish: 'Publicar en DNS', sent: 'enviados', failed: 'abandonados', lastError: 'último error',
    retrying: 'reintentando', quarantine: 'Cuarentena: correo que no se pudo leer', noQuarantine: 'No hay nada en cuarentena.',
    accept: 'Aceptar de todos modos', discard: 'Descartar', accepted: 'Aceptado: {r}',
    mailboxes: 'Buzones que Docket recoge (IMAP)', addBox: '+ buzón', boxId: 'Nombre (a-z, 0-9, -)', boxFolder: 'Carpeta (vacía: INBOX)',
    boxAddress: 'Recibe para (vacío: la primera dirección)', boxPoll: 'Revisar cada … segundos sin IDLE', removeBox: 'Quitar buzón',
    fetched: 'recogidos', idling: 'avisado al instante del correo nuevo (IDLE)', polling: 'revisado cada {n} s', notYet: 'aún no recogido' },
  vi: { terminology: 'Thuật ngữ', idFormat: 'Mã đơn', hours: 'Giờ làm việc', categories: 'Danh mục', assistant: 'Trợ lý AI',
    save: 'Lưu', saved: 'Đã lưu.', reset: 'Về mặc định của gói', addPeriod: '+ khung giờ', addCategory: '+ danh mục', holidays: 'Ngày nghỉ (mỗi dòng một ngày: YYYY-MM-DD hoặc MM-DD)',
    timeZone: 'Múi giờ', closed: 'nghỉ', example: 'Mã tiếp theo sẽ như', keys: 'Khóa API', keyName: 'Tên', keyRole: 'Vai trò', create: 'Tạo',
    revoke: 'Thu hồi', keyShown: 'Khóa (chỉ hiển thị lúc này):', revoked: 'đã thu hồi', tenants: 'Không gian', newTenant: 'Không gian mới', tenantId: 'Mã',
    tenantName: 'Tên', pack: 'Gói', switchPack: 'Đổi', active: 'đang dùng',
    mail: 'Thư điện tử', mailAddresses: 'Địa chỉ nhận thư (mỗi dòng một địa chỉ)', mailFrom: 'Thư gửi đi từ (trống: địa chỉ đầu tiên)',
    relay: 'Máy chủ gửi thư (không có host: không gửi thư)', relayHost: 'Host', relayPort: 'Cổng', relaySecurity: 'Bảo mật', relayUser: 'Người dùng',
    relayPassword: 'Mật khẩu', passwordKept: 'đã lưu — nhập để đổi', acks: 'Số thư xác nhận cho mỗi người gửi mỗi giờ (0: không gửi)',
    notifyStaff: 'Báo cho nhân viên qua thư khi được giao việc và khi SLA sắp hết hạn hoặc bị vi phạm', dkim: 'Khóa DKIM (Docket tạo khóa cho tên miền mới)',
    addKey: '+ khóa', domain: 'Tên miền', selector: 'Selector', publish: 'Công bố trong DNS', sent: 'đã gửi', failed: 'bỏ cuộc', lastError: 'lỗi gần nhất',
    retrying: 'đang thử lại', quarantine: 'Cách ly: thư không đọc được', noQuarantine: 'Không có thư nào bị cách ly.',
    accept: 'Vẫn nhận', discard: 'Bỏ', accepted: 'Đã nhận: {r}',
    mailboxes: 'Hộp thư Docket lấy về (IMAP)', addBox: '+ hộp thư', boxId: 'Tên (a-z, 0-9, -)', boxFolder: 'Thư mục (trống: INBOX)',
    boxAddress: 'Nhận cho địa chỉ (trống: địa chỉ đầu tiên)', boxPoll: 'Kiểm tra mỗi … giây khi không có IDLE', removeBox: 'Bỏ hộp thư',
    fetched: 'đã lấy', idling: 'được báo ngay khi có thư mới (IDLE)', polling: 'kiểm tra mỗi {n} giây', notYet: 'chưa lấy lần nào' },
};

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** The weekday's name in the page's language (2024-01-01 was a Monday). */
function dayName(day, lang) {
  const date = new Date(Date.UTC(2024, 0, 1 + DAYS.indexOf(day), 12));
  return new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' }).format(date);
}

function input(id, value, attrs = {}) {
  return h('input', { id, value: value ?? '', ...attrs });
}

export async function renderSettings(container, { api, t, toast, failure }) {
  const w = wordsOf(words, t);
  const saveWith = (put) => async (event) => {
    event.preventDefault();
    try {
      await put();
      toast(w('saved'), 'ok');
    } catch (error) {
      failure(error);
    }
  };
  const resetButton = (key, reload) => h('button', { type: 'button', onclick: async () => {
    try {
      await api.post(`/api/v2/config/reset/${key}`);
      toast(w('saved'), 'ok');
      await reload();
    } catch (error) {
      failure(error);
    }
  } }, w('reset'));

  const termBox = h('form', { class: 'card grid-form', id: 'settings-terminology' });
  async function loadTerms() {
    const { terminology } = await api.get('/api/v2/config/terminology');
    const keys = ['ticketSingular', 'ticketPlural', 'createVerb', 'customerNoun', 'agentNoun', 'resolveVerb'];
    const inputs = Object.fromEntries(keys.map((k) => [k, input(`term-${k}`, terminology[k], { required: true, maxlength: 60 })]));
    termBox.onsubmit = saveWith(() => api.put('/api/v2/config/terminology', Object.fromEntries(keys.map((k) => [k, inputs[k].value.trim()]))));
    mount(termBox, h('h3', {}, w('terminology')), keys.map((k) => field(k, inputs[k])),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, w('save')), resetButton('ticket_terminology', loadTerms)));
  }

  const idBox = h('form', { class: 'card grid-form', id: 'settings-id-format' });
  async function loadIdFormat() {
    const { format } = await api.get('/api/v2/config/ticket-id-format');
    const prefix = input('id-prefix', format.prefix, { required: true, maxlength: 10, pattern: '[A-Za-z0-9]{1,10}' });
    const separator = input('id-separator', format.separator, { maxlength: 3 });
    const pad = input('id-pad', format.padLength, { type: 'number', min: 1, max: 12 });
    const year = h('input', { id: 'id-year', type: 'checkbox', checked: format.includeYear });
    const yearly = h('input', { id: 'id-yearly', type: 'checkbox', checked: format.resetYearly });
    const example = h('code', {});
    const preview = () => {
      example.textContent = [prefix.value, year.checked ? String(new Date().getFullYear()) : null, '1'.padStart(Number(pad.value) || 1, '0')]
        .filter(Boolean).join(separator.value);
    };
    for (const el of [prefix, separator, pad, year]) el.addEventListener('input', preview);
    preview();
    idBox.onsubmit = saveWith(() => api.put('/api/v2/config/ticket-id-format', {
      prefix: prefix.value.trim(), separator: separator.value, includeYear: year.checked, padLength: Number(pad.value), resetYearly: yearly.checked,
    }));
    mount(idBox, h('h3', {}, w('idFormat')), field('prefix', prefix), field('separator', separator), field('padLength', pad),
      h('label', { class: 'check', for: 'id-year' }, year, ' includeYear'), h('label', { class: 'check', for: 'id-yearly' }, yearly, ' resetYearly'),
      h('p', { class: 'hint' }, `${w('example')}: `, example),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, w('save')), resetButton('ticket_id_format', loadIdFormat)));
  }

  const hoursBox = h('form', { class: 'card', id: 'settings-hours' });
  async function loadHours() {
    const { calendar } = await api.get('/api/v2/config/business-hours');
    const zone = input('hours-zone', calendar.timeZone, { required: true });
    const days = {};
    const rows = DAYS.map((day) => {
      const list = h('span', { class: 'periods' });
      days[day] = list;
      const add = (text = '09:00-18:00') => {
        const [from, to] = text.split('-');
        const start = h('input', { type: 'time', value: from, 'aria-label': `${day} from`, required: true });
        const end = h('input', { type: 'time', value: to, 'aria-label': `${day} to`, required: true });
        const period = h('span', { class: 'period' }, start, '–', end, h('button', { type: 'button', class: 'link', 'aria-label': `remove ${day} period`, onclick: () => period.remove() }, '×'));
        list.append(period);
      };
      for (const text of (calendar.week || {})[day] || []) add(text);
      return h('div', { class: 'day-row', dataset: { day } }, h('strong', {}, dayName(day, t.lang)), list,
        h('button', { type: 'button', class: 'link add-period', onclick: () => add() }, w('addPeriod')));
    });
    const holidays = h('textarea', { id: 'hours-holidays', rows: 3 }, (calendar.holidays || []).join('\n'));
    hoursBox.onsubmit = saveWith(() => {
      const week = {};
      for (const day of DAYS) {
        week[day] = [...days[day].querySelectorAll('.period')].map((p) => {
          const [a, b] = p.querySelectorAll('input');
          return `${a.value}-${b.value}`;
        });
      }
      return api.put('/api/v2/config/business-hours', {
        timeZone: zone.value.trim(), week, holidays: holidays.value.split('\n').map((s) => s.trim()).filter(Boolean),
      });
    });
    mount(hoursBox, h('h3', {}, w('hours')), field(w('timeZone'), zone), h('div', { class: 'week' }, rows), field(w('holidays'), holidays),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, w('save')), resetButton('business_hours', loadHours)));
  }

  const catBox = h('form', { class: 'card', id: 'settings-categories' });
  async function loadCategories() {
    const { categories } = await api.get('/api/v2/config/ticket-categories');
    const body = h('tbody', {});
    const addRow = (c = { id: '', label: '', labelEn: '', color: '#6B7280', active: true }) => {
      body.append(h('tr', {},
        h('td', {}, h('input', { value: c.id, 'aria-label': 'id', required: true, size: 14, class: 'cat-id' })),
        h('td', {}, h('input', { value: c.label, 'aria-label': 'label', required: true, class: 'cat-label' })),
        h('td', {}, h('input', { value: c.labelEn || '', 'aria-label': 'labelEn', class: 'cat-label-en' })),
        h('td', {}, h('input', { type: 'color', value: c.color || '#6B7280', 'aria-label': 'color', class: 'cat-color' })),
        h('td', {}, h('input', { type: 'checkbox', checked: c.active !== false, 'aria-label': 'active', class: 'cat-active' })),
        h('td', { hidden: true, class: 'cat-rest', dataset: { rest: JSON.stringify({ icon: c.icon, description: c.description }) } })));
    };
    categories.forEach(addRow);
    catBox.onsubmit = saveWith(() => api.put('/api/v2/config/ticket-categories', {
      categories: [...body.querySelectorAll('tr')].map((row) => {
        const rest = JSON.parse(row.querySelector('.cat-rest').dataset.rest || '{}');
        const out = {
          id: row.querySelector('.cat-id').value.trim(), label: row.querySelector('.cat-label').value.trim(),
          color: row.querySelector('.cat-color').value.toUpperCase(), active: row.querySelector('.cat-active').checked,
        };
        const en = row.querySelector('.cat-label-en').value.trim();
        if (en) out.labelEn = en;
        if (rest.icon) out.icon = rest.icon;
        if (rest.description) out.description = rest.description;
        return out;
      }),
    }));
    mount(catBox, h('h3', {}, w('categories')),
      h('table', { class: 'edit-table' }, h('thead', {}, h('tr', {}, ['id', 'label', 'labelEn', 'color', 'active'].map((c) => h('th', {}, c)))), body),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => addRow() }, w('addCategory')),
        h('button', { type: 'submit', class: 'primary' }, w('save')), resetButton('ticket_categories', loadCategories)));
  }

  const assistantBox = h('form', { class: 'card grid-form', id: 'settings-assistant' });
  async function loadAssistant() {
    const { config } = await api.get('/api/v2/config/assistant');
    const keys = ['assistantName', 'companyName', 'primaryServiceIssue', 'serviceType', 'ticketNoun', 'ticketNounPlural', 'language'];
    const inputs = Object.fromEntries(keys.map((k) => [k, input(`assistant-${k}`, config[k], { required: true })]));
    assistantBox.onsubmit = saveWith(() => api.put('/api/v2/config/assistant', Object.fromEntries(keys.map((k) => [k, inputs[k].value.trim()]))));
    mount(assistantBox, h('h3', {}, w('assistant')), keys.map((k) => field(k, inputs[k])),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, w('save')), resetButton('assistant_configuration', loadAssistant)));
  }

  // Mail: where it is received, the relay it leaves through (the password is never shown: an
  // empty field keeps the stored one), the DKIM keys with the record to publish, and what mail
  // out did so far.
  const mailBox = h('form', { class: 'card grid-form', id: 'settings-mail' });
  async function loadMail() {
    const { mail, outlet, mailboxes: states = [] } = await api.get('/api/v2/config/mail');
    const relay = mail.relay || {};
    const addresses = h('textarea', { id: 'mail-addresses', rows: 3 }, (mail.addresses || []).join('\n'));
    const from = input('mail-from', mail.from, { type: 'email', maxlength: 254 });
    const host = input('mail-host', relay.host, { maxlength: 253 });
    const port = input('mail-port', relay.port ?? 587, { type: 'number', min: 1, max: 65535 });
    const security = h('select', { id: 'mail-security' }, ['starttls', 'tls', 'none'].map((s) => h('option', { value: s, selected: (relay.security || 'starttls') === s }, s)));
    const user = input('mail-user', relay.username, { maxlength: 256, autocomplete: 'off' });
    const password = input('mail-password', '', { type: 'password', maxlength: 256, autocomplete: 'new-password', placeholder: relay.passwordSet ? w('passwordKept') : '' });
    const acks = input('mail-acks', mail.acknowledgementsPerHour ?? 3, { type: 'number', min: 0, max: 20 });
    const notify = h('input', { id: 'mail-notify', type: 'checkbox', checked: mail.notifyStaff !== false });
    const keys = h('tbody', {});
    const addKey = (key = { domain: '', selector: 'docket' }) => {
      const record = key.dnsRecord
        ? h('td', { class: 'dkim-record' }, h('code', {}, key.dnsName), h('input', { class: 'secret', readonly: true, value: key.dnsRecord, 'aria-label': `${w('publish')} ${key.dnsName}`, onfocus: (e) => e.target.select() }))
        : h('td', { class: 'dkim-record' });
      keys.append(h('tr', {},
        h('td', {}, h('input', { value: key.domain, 'aria-label': w('domain'), required: true, class: 'dkim-domain', size: 18 })),
        h('td', {}, h('input', { value: key.selector, 'aria-label': w('selector'), required: true, class: 'dkim-selector', size: 10 })),
        record,
        h('td', {}, h('button', { type: 'button', class: 'link', 'aria-label': `remove ${key.domain}`, onclick: (e) => e.target.closest('tr').remove() }, '×'))));
    };
    (mail.dkim || []).forEach(addKey);
    // IMAP mailboxes: one fieldset each, with where its fetch stands (as text: the server's
    // words may say anything); the password is never shown, an empty field keeps it.
    const boxes = h('div', { id: 'mail-boxes', class: 'mailboxes' });
    const addBox = (box = { id: '', host: '', port: 993, security: 'tls', username: '' }) => {
      const state = states.find((s) => s.id === box.id);
      const n = boxes.children.length;
      const status = !box.id ? null : h('p', { class: 'hint box-state' }, !state ? w('notYet')
        : `${state.fetched} ${w('fetched')} · ${state.idle ? w('idling') : w('polling').replace('{n}', box.pollSeconds ?? 60)}`
          + (state.lastError ? ` · ${w('lastError')}: ${state.lastError}` : ''));
      const control = (key, value, attrs = {}) => input(`box-${n}-${key}`, value, { class: `box-${key}`, ...attrs });
      const fieldset = h('fieldset', { class: 'mailbox grid-form' },
        h('legend', {}, box.id || w('addBox').replace('+ ', '')),
        status,
        field(w('boxId'), control('id', box.id, { required: true, maxlength: 40, pattern: '[a-z0-9\\-]{1,40}' })),
        field(w('relayHost'), control('host', box.host, { required: true, maxlength: 253 })),
        field(w('relayPort'), control('port', box.port, { type: 'number', min: 1, max: 65535, required: true })),
        field(w('relaySecurity'), h('select', { id: `box-${n}-security`, class: 'box-security' },
          ['tls', 'starttls', 'none'].map((s) => h('option', { value: s, selected: box.security === s }, s)))),
        field(w('relayUser'), control('username', box.username, { required: true, maxlength: 256, autocomplete: 'off' })),
        field(w('relayPassword'), control('password', '', { type: 'password', maxlength: 256, autocomplete: 'new-password', placeholder: box.passwordSet ? w('passwordKept') : '' })),
        field(w('boxFolder'), control('folder', box.folder, { maxlength: 200 })),
        field(w('boxAddress'), control('address', box.address, { type: 'email', maxlength: 254 })),
        field(w('boxPoll'), control('poll', box.pollSeconds ?? 60, { type: 'number', min: 5, max: 3600 })),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'link remove-box', onclick: (e) => e.target.closest('fieldset').remove() }, w('removeBox'))));
      boxes.append(fieldset);
    };
    (mail.mailboxes || []).forEach(addBox);
    const figures = outlet
      ? h('p', { class: 'hint', id: 'mail-outlet' }, `${outlet.sent} ${w('sent')} · ${outlet.failed} ${w('failed')}`,
        outlet.retrying ? ` · ${w('retrying')} (${outlet.retrying.attempts})` : '', outlet.lastError ? ` · ${w('lastError')}: ${outlet.lastError}` : '')
      : null;
    mailBox.onsubmit = saveWith(async () => {
      const body = {
        addresses: addresses.value.split('\n').map((s) => s.trim()).filter(Boolean),
        acknowledgementsPerHour: Number(acks.value), notifyStaff: notify.checked,
        dkim: [...keys.querySelectorAll('tr')].map((row) => ({ domain: row.querySelector('.dkim-domain').value.trim(), selector: row.querySelector('.dkim-selector').value.trim() })),
      };
      body.mailboxes = [...boxes.querySelectorAll('fieldset.mailbox')].map((box) => {
        const value = (key) => box.querySelector(`.box-${key}`).value.trim();
        const out = { id: value('id'), host: value('host'), port: Number(value('port')), security: value('security'), username: value('username'), pollSeconds: Number(value('poll')) };
        if (box.querySelector('.box-password').value) out.password = box.querySelector('.box-password').value;
        if (value('folder')) out.folder = value('folder');
        if (value('address')) out.address = value('address');
        return out;
      });
      if (from.value.trim()) body.from = from.value.trim();
      if (host.value.trim()) {
        body.relay = { host: host.value.trim(), port: Number(port.value), security: security.value };
        if (user.value.trim()) body.relay.username = user.value.trim();
        if (password.value) body.relay.password = password.value;
      }
      await api.put('/api/v2/config/mail', body);
      await loadMail();
    });
    mount(mailBox, h('h3', {}, w('mail')), figures, field(w('mailAddresses'), addresses), field(w('mailFrom'), from),
      h('h4', {}, w('relay')), field(w('relayHost'), host), field(w('relayPort'), port), field(w('relaySecurity'), security),
      field(w('relayUser'), user), field(w('relayPassword'), password), field(w('acks'), acks),
      h('label', { class: 'check', for: 'mail-notify' }, notify, ` ${w('notifyStaff')}`),
      h('h4', {}, w('dkim')),
      h('table', { class: 'edit-table' }, h('thead', {}, h('tr', {}, [w('domain'), w('selector'), w('publish'), ''].map((c) => h('th', {}, c)))), keys),
      h('div', { class: 'actions' }, h('button', { type: 'button', id: 'mail-add-key', onclick: () => addKey() }, w('addKey'))),
      h('h4', {}, w('mailboxes')), boxes,
      h('div', { class: 'actions' }, h('button', { type: 'button', id: 'mail-add-box', onclick: () => addBox() }, w('addBox')),
        h('button', { type: 'submit', class: 'primary' }, w('save')), resetButton('mail', loadMail)));
  }

  // The quarantine: each mail's sender, recipient, reason and size, as text; accept anyway or
  // discard.
  const quarantineBox = h('section', { class: 'card', id: 'settings-quarantine' });
  async function loadQuarantine() {
    const { quarantine, total } = await api.get('/api/v2/mail/quarantine');
    const act = (mail, how) => async () => {
      try {
        if (how === 'accept') {
          const made = await api.post(`/api/v2/mail/quarantine/${enc(mail.id)}/accept`);
          toast(w('accepted', { r: made.ticketId || made.reason || made.result }), 'ok');
        } else {
          await api.del(`/api/v2/mail/quarantine/${enc(mail.id)}`);
          toast(w('saved'), 'ok');
        }
        await loadQuarantine();
      } catch (error) {
        failure(error);
      }
    };
    mount(quarantineBox, h('h3', {}, `${w('quarantine')} (${total})`),
      quarantine.length === 0 ? h('p', { class: 'hint' }, w('noQuarantine')) : h('ul', { class: 'agents' }, quarantine.map((mail) =>
        h('li', { class: 'agent-row quarantined', dataset: { id: mail.id } },
          h('span', { class: 'name' }, mail.envelopeFrom || '<>'),
          h('span', { class: 'stamp' }, `${new Date(mail.receivedAt).toLocaleString(t.lang)} · ${mail.recipient} · ${Math.ceil(mail.size / 1024)} KB · ${mail.reason}`),
          h('span', { class: 'agent-actions' },
            h('button', { type: 'button', class: 'accept', onclick: act(mail, 'accept') }, w('accept')),
            h('button', { type: 'button', class: 'discard', onclick: act(mail, 'discard') }, w('discard')))))));
  }

  mount(container, termBox, idBox, hoursBox, catBox, assistantBox, mailBox, quarantineBox);
  try {
    await Promise.all([loadTerms(), loadIdFormat(), loadHours(), loadCategories(), loadAssistant(), loadMail(), loadQuarantine()]);
  } catch (error) {
    failure(error);
  }
}

export async function renderKeys(container, { api, t, failure }) {
  const w = wordsOf(words, t);
  const shown = h('div', { class: 'shown-once', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'agents' });
  async function load() {
    const { apiKeys } = await api.get('/api/v2/api-keys');
    mount(list, apiKeys.map((key) => h('li', { class: 'agent-row' }, h('span', { class: 'name' }, key.name),
      h('span', { class: 'stamp' }, `${key.role} · ${key.hint}… · ${new Date(key.createdAt).toLocaleDateString(t.lang)}${key.revokedAt ? ` · ${w('revoked')}` : ''}`),
      key.revokedAt ? null : h('button', { type: 'button', onclick: async () => {
        try {
          await api.del(`/api/v2/api-keys/${enc(key.id)}`);
          await load();
        } catch (error) {
          failure(error);
        }
      } }, w('revoke')))));
  }
  const name = input('key-name', '', { required: true, maxlength: 100 });
  const role = h('select', { id: 'key-role' }, ['assistant', 'agent'].map((r) => h('option', { value: r }, r)));
  const form = h('form', { class: 'card grid-form', onsubmit: async (event) => {
    event.preventDefault();
    try {
      const made = await api.post('/api/v2/api-keys', { name: name.value.trim(), role: role.value });
      mount(shown, h('p', {}, w('keyShown')), h('input', { class: 'secret', readonly: true, value: made.key, 'aria-label': w('keys'), onfocus: (e) => e.target.select() }));
      name.value = '';
      await load();
    } catch (error) {
      failure(error);
    }
  } }, h('h3', {}, w('create')), field(w('keyName'), name), field(w('keyRole'), role), h('button', { type: 'submit', class: 'primary' }, w('create')));
  mount(container, shown, h('section', { class: 'card' }, h('h3', {}, w('keys')), list), form);
  try {
    await load();
  } catch (error) {
    failure(error);
  }
}

export async function renderTenants(container, { api, t, toast, failure }) {
  const w = wordsOf(words, t);
  const list = h('ul', { class: 'agents' });
  let packs = [];
  async function load() {
    const [{ tenants }, listing] = await Promise.all([api.get('/api/v2/tenants?limit=100'), api.get('/api/v2/packs')]);
    packs = listing.packs;
    mount(list, tenants.map((tenant) => {
      const select = h('select', { 'aria-label': `${tenant.id} ${w('pack')}` }, packs.map((p) => h('option', { value: p.id, selected: p.id === tenant.pack.id }, `${p.name} (${p.id})`)));
      return h('li', { class: 'agent-row' }, h('span', { class: 'name' }, tenant.name), h('code', {}, tenant.id),
        h('span', { class: 'stamp' }, `${tenant.pack.id} ${tenant.pack.version} · ${w('active')}`), select,
        h('button', { type: 'button', onclick: async () => {
          try {
            await api.put(`/api/v2/tenants/${enc(tenant.id)}/pack`, { pack: select.value });
            toast(w('saved'), 'ok');
            await load();
          } catch (error) {
            failure(error);
          }
        } }, w('switchPack')));
    }));
    mount(packSelect, packs.map((p) => h('option', { value: p.id }, `${p.name} (${p.id})`)));
  }
  const id = input('tenant-id', '', { required: true, pattern: '[a-z0-9_-]{1,64}' });
  const name = input('tenant-name', '', { required: true, maxlength: 200 });
  const packSelect = h('select', { id: 'tenant-pack' });
  const form = h('form', { class: 'card grid-form', onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api.post('/api/v2/tenants', { id: id.value.trim(), name: name.value.trim(), pack: packSelect.value });
      id.value = name.value = '';
      toast(w('saved'), 'ok');
      await load();
    } catch (error) {
      failure(error);
    }
  } }, h('h3', {}, w('newTenant')), field(w('tenantId'), id), field(w('tenantName'), name), field(w('pack'), packSelect),
    h('button', { type: 'submit', class: 'primary' }, w('create')));
  mount(container, h('section', { class: 'card' }, h('h3', {}, w('tenants')), list), form);
  try {
    await load();
  } catch (error) {
    failure(error);
  }
}

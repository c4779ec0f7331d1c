// Reports: volume, backlog, times, people and satisfaction for a period in the tenant's time
// zone, with filters, a grouping and a comparison with the period before. Every chart is ours
// (charts.js) with a table beside it; a bar, point or cell opens the tickets behind it (the
// ticket list's own filters), and every view and every list downloads as CSV. An agent sees
// their own figures; an admin the whole team's. The screen's state lives in the address
// (#/reports/volume?period=30&by=channel...), so a view can be shared and the back button works.

import { h, mount, field } from './dom.js';
import { query } from './api.js';
import { wordsOf } from './i18n.js';
import { chart } from './charts.js';

const words = {
  en: {
    reports: 'Reports', filters: 'Filters', volume: 'Volume', backlog: 'Backlog', times: 'Times', agents: 'People', satisfaction: 'Satisfaction',
    period: 'Period', last7: 'Last 7 days', last30: 'Last 30 days', last90: 'Last 90 days', last365: 'Last 12 months', custom: 'Custom',
    from: 'From', to: 'To', interval: 'Step', hour: 'Hour', day: 'Day', week: 'Week', month: 'Month', groupBy: 'Group by', nothing: 'Nothing',
    channel: 'Channel', category: 'Category', queue: 'Queue', priority: 'Priority', agent: 'Agent', status: 'Status', any: 'Any',
    compare: 'Compare with the period before', apply: 'Show', created: 'Created', resolved: 'Resolved', open: 'Open',
    firstResponse: 'First response', nextReply: 'Next reply', resolution: 'Resolution', p50: 'median', p90: '90th percentile', average: 'average',
    count: 'measured', slaMet: 'SLA met', breaches: 'Breaches', ratings: 'Ratings', avgRating: 'Average rating', distribution: 'Ratings by score',
    load: 'Open now', presence: 'Availability', tableView: 'Show as a table', chartView: 'Show as a chart', downloadCSV: 'Download CSV',
    downloadTickets: 'Download these {tickets} (CSV)', behind: '{tickets}: {what}', shown: 'Showing {n} of {m}.', none: 'No {tickets} here.',
    previous: '{d} vs the period before', same: 'same as the period before', openNow: 'Open now', byStatus: 'Open now by status',
    byAge: 'Open now by age', ages: { lt1h: 'under 1 h', lt1d: '1–24 h', lt3d: '1–3 days', lt7d: '3–7 days', gte7d: '7 days or more' },
    channels: { web: 'Web / chat', whatsapp: 'WhatsApp', mobile_app: 'Mobile app', ai: 'Assistant', agent: 'Staff' },
    unassigned: 'Unassigned', noQueue: 'No queue', other: 'Other', loading: 'Loading…', close: 'Close', hours: 'hours',
    createdIn: 'created {b}', resolvedIn: 'resolved {b}', ratedIn: 'rated {b}', openEnd: 'open now, created by the end of {b}',
    inStatus: 'open now in “{s}”', aged: 'open now, {a} old', ofAgent: '{a}, created in the period', fromTickets: 'Read from the {tickets} themselves (a filter with a grouping by another dimension).',
    ownFigures: 'Your own figures.', timeZone: 'Times in {z}.', slaChart: 'SLA met (%)', timesChart: 'Business time (hours)', comment: 'Comment',
    rules: 'Rules', evaluations: 'Rule runs', errors: 'Failures', budgetOverruns: 'Over budget', actions: 'Actions taken', rejected: 'Actions rejected',
    averageMicros: 'Time per run', pack: 'Pack version', rule: 'Rule', failingRules: 'Rules that failed or had actions rejected', noFailures: 'No rule failed in this period.',
    errorRate: 'Failure rate', rollout: 'Staged rollout', rolloutOf: '{v} beside {a} ({m}), {s}', modes: { shadow: 'shadow', canary: 'canary' },
    states: { running: 'running', promoted: 'promoted', rolled_back: 'rolled back', aborted: 'aborted' }, active: 'Active version', candidate: 'Candidate',
    differing: 'Events where they differ', events: 'Events compared', decided: 'Decided', perVersion: 'Rule runs by pack version',
  },
  es: {
    reports: 'Informes', filters: 'Filtros', volume: 'Volumen', backlog: 'Pendientes', times: 'Tiempos', agents: 'Equipo', satisfaction: 'Satisfacción',
    period: 'Periodo', last7: 'Últimos 7 días', last30: 'Últimos 30 días', last90: 'Últimos 90 días', last365: 'Últimos 12 meses', custom: 'Personalizado',
    from: 'Desde', to: 'Hasta', interval: 'Paso', hour: 'Hora', day: 'Día', week: 'Semana', month: 'Mes', groupBy: 'Agrupar por', nothing: 'Nada',
    channel: 'Canal', category: 'Categoría', queue: 'Cola', priority: 'Prioridad', agent: 'Agente', status: 'Estado', any: 'Cualquiera',
    compare: 'Comparar con el periodo anterior', apply: 'Mostrar', created: 'Creados', resolved: 'Resueltos', open: 'Abiertos',
    firstResponse: 'Primera respuesta', nextReply: 'Siguiente respuesta', resolution: 'Resolución', p50: 'mediana', p90: 'percentil 90', average: 'promedio',
    count: 'medidos', slaMet: 'SLA cumplido', breaches: 'Incumplimientos', ratings: 'Calificaciones', avgRating: 'Calificación media', distribution: 'Calificaciones por puntaje',
    load: 'Abiertos ahora', presence: 'Disponibilidad', tableView: 'Ver como tabla', chartView: 'Ver como gráfica', downloadCSV: 'Descargar CSV',
    downloadTickets: 'Descargar estos {tickets} (CSV)', behind: '{tickets}: {what}', shown: 'Se muestran {n} de {m}.', none: 'No hay {tickets} aquí.',
    previous: '{d} frente al periodo anterior', same: 'igual que el periodo anterior', openNow: 'Abiertos ahora', byStatus: 'Abiertos ahora por estado',
    byAge: 'Abiertos ahora por antigüedad', ages: { lt1h: 'menos de 1 h', lt1d: '1–24 h', lt3d: '1–3 días', lt7d: '3–7 días', gte7d: '7 días o más' },
    channels: { web: 'Web / chat', whatsapp: 'WhatsApp', mobile_app: 'App móvil', ai: 'Asistente', agent: 'Equipo' },
    unassigned: 'Sin asignar', noQueue: 'Sin cola', other: 'Otros', loading: 'Cargando…', close: 'Cerrar', hours: 'horas',
    createdIn: 'creados {b}', resolvedIn: 'resueltos {b}', ratedIn: 'calificados {b}', openEnd: 'abiertos ahora, creados hasta el fin de {b}',
    inStatus: 'abiertos ahora en «{s}»', aged: 'abiertos ahora, con {a}', ofAgent: '{a}, creados en el periodo', fromTickets: 'Calculado desde los {tickets} mismos (un filtro con agrupación por otra dimensión).',
    ownFigures: 'Tus propias cifras.', timeZone: 'Horas en {z}.', slaChart: 'SLA cumplido (%)', timesChart: 'Tiempo hábil (horas)', comment: 'Comentario',
    rules: 'Reglas', evaluations: 'Ejecuciones de reglas', errors: 'Fallos', budgetOverruns: 'Fuera de presupuesto', actions: 'Acciones aplicadas', rejected: 'Acciones rechazadas',
    averageMicros: 'Tiempo por ejecución', pack: 'Versión del paquete', rule: 'Regla', failingRules: 'Reglas que fallaron o tuvieron acciones rechazadas', noFailures: 'Ninguna regla falló en este periodo.',
    errorRate: 'Tasa de fallos', rollout: 'Despliegue escalonado', rolloutOf: '{v} junto a {a} ({m}), {s}', modes: { shadow: 'en sombra', canary: 'canario' },
    states: { running: 'en curso', promoted: 'promovido', rolled_back: 'revertido', aborted: 'cancelado' }, active: 'Versión activa', candidate: 'Candidata',
    differing: 'Eventos en que difieren', events: 'Eventos comparados', decided: 'Decididos', perVersion: 'Ejecuciones por versión del paquete',
  },
  vi: {
    reports: 'Báo cáo', filters: 'Bộ lọc', volume: 'Số lượng', backlog: 'Tồn đọng', times: 'Thời gian', agents: 'Nhân viên', satisfaction: 'Mức hài lòng',
    period: 'Khoảng thời gian', last7: '7 ngày qua', last30: '30 ngày qua', last90: '90 ngày qua', last365: '12 tháng qua', custom: 'Tùy chọn',
    from: 'Từ', to: 'Đến', interval: 'Bước', hour: 'Giờ', day: 'Ngày', week: 'Tuần', month: 'Tháng', groupBy: 'Nhóm theo', nothing: 'Không',
    channel: 'Kênh', category: 'Danh mục', queue: 'Hàng đợi', priority: 'Ưu tiên', agent: 'Nhân viên', status: 'Trạng thái', any: 'Tất cả',
    compare: 'So với kỳ trước', apply: 'Xem', created: 'Đã tạo', resolved: 'Đã giải quyết', open: 'Đang mở',
    firstResponse: 'Phản hồi đầu tiên', nextReply: 'Phản hồi tiếp theo', resolution: 'Giải quyết', p50: 'trung vị', p90: 'phân vị 90', average: 'trung bình',
    count: 'đã đo', slaMet: 'Đạt SLA', breaches: 'Vi phạm', ratings: 'Đánh giá', avgRating: 'Điểm trung bình', distribution: 'Đánh giá theo điểm',
    load: 'Đang mở', presence: 'Trạng thái làm việc', tableView: 'Xem dạng bảng', chartView: 'Xem dạng biểu đồ', downloadCSV: 'Tải CSV',
    downloadTickets: 'Tải các {tickets} này (CSV)', behind: '{tickets}: {what}', shown: 'Hiển thị {n} trên {m}.', none: 'Không có {tickets} nào.',
    previous: '{d} so với kỳ trước', same: 'bằng kỳ trước', openNow: 'Đang mở', byStatus: 'Đang mở theo trạng thái',
    byAge: 'Đang mở theo thời gian tồn', ages: { lt1h: 'dưới 1 giờ', lt1d: '1–24 giờ', lt3d: '1–3 ngày', lt7d: '3–7 ngày', gte7d: 'từ 7 ngày' },
    channels: { web: 'Web / chat', whatsapp: 'WhatsApp', mobile_app: 'Ứng dụng', ai: 'Trợ lý', agent: 'Nhân viên' },
    unassigned: 'Chưa giao', noQueue: 'Không hàng đợi', other: 'Khác', loading: 'Đang tải…', close: 'Đóng', hours: 'giờ',
    createdIn: 'tạo {b}', resolvedIn: 'giải quyết {b}', ratedIn: 'được đánh giá {b}', openEnd: 'đang mở, tạo trước cuối {b}',
    inStatus: 'đang mở ở “{s}”', aged: 'đang mở, {a}', ofAgent: '{a}, tạo trong kỳ', fromTickets: 'Tính trực tiếp từ các {tickets} (lọc kèm nhóm theo chiều khác).',
    ownFigures: 'Số liệu của riêng bạn.', timeZone: 'Giờ theo {z}.', slaChart: 'Đạt SLA (%)', timesChart: 'Thời gian làm việc (giờ)', comment: 'Nhận xét',
    rules: 'Quy tắc', evaluations: 'Lượt chạy quy tắc', errors: 'Lỗi', budgetOverruns: 'Vượt ngân sách', actions: 'Hành động đã áp dụng', rejected: 'Hành động bị từ chối',
    averageMicros: 'Thời gian mỗi lượt', pack: 'Phiên bản gói', rule: 'Quy tắc', failingRules: 'Quy tắc bị lỗi hoặc có hành động bị từ chối', noFailures: 'Không có quy tắc nào lỗi trong kỳ này.',
    errorRate: 'Tỉ lệ lỗi', rollout: 'Triển khai theo giai đoạn', rolloutOf: '{v} bên cạnh {a} ({m}), {s}', modes: { shadow: 'chạy song song', canary: 'thử nghiệm' },
    states: { running: 'đang chạy', promoted: 'đã áp dụng', rolled_back: 'đã hoàn tác', aborted: 'đã hủy' }, active: 'Phiên bản hiện hành', candidate: 'Phiên bản ứng viên',
    differing: 'Sự kiện khác nhau', events: 'Sự kiện đã so sánh', decided: 'Đã quyết định', perVersion: 'Lượt chạy theo phiên bản gói',
  },
};

const kinds = ['volume', 'backlog', 'times', 'agents', 'satisfaction', 'rules'];
const dimensions = ['channel', 'category', 'queue', 'priority', 'agent'];
// A group's filter on the ticket list.
const listFilter = { channel: 'source', category: 'category', queue: 'queue', priority: 'priority', agent: 'assignedAgent', status: 'status' };

function isoDay(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

/** The period: the custom days, or the last N days up to today in the tenant's zone (the server's today). */
function period(params) {
  if (params.period === 'custom' && params.from && params.to) return { from: params.from, to: params.to };
  return { lastDays: Number(params.period) || 30 };
}

/** The period before an answer's, as long as it. */
function previousPeriod(answer) {
  const from = new Date(answer.from), to = new Date(answer.to);
  return { from: new Date(from.getTime() - (to - from)).toISOString(), to: from.toISOString() };
}

/** The reports screen: `kind` and the view's `params` come from the address. */
export async function renderReports(container, context, kind = 'volume', params = {}) {
  const { api, t, failure } = context;
  const w = wordsOf(words, t);
  const W = (key) => t.lang && words[t.lang] && words[t.lang][key] !== undefined ? words[t.lang][key] : words.en[key];
  const tickets = t.words.ticketPlural;
  // Supervisors and admins see the whole team's figures and the rules'; an agent their own.
  const admin = context.user.role !== 'agent';
  const shown = admin ? kinds : kinds.filter((k) => k !== 'rules');
  kind = shown.includes(kind) ? kind : 'volume';
  // The rules' figures are per pack version: no grouping and no filters.
  const perTicket = kind !== 'rules';
  const view = { period: params.period || '30', interval: params.interval || (Number(params.period) >= 365 ? 'month' : 'day'), by: params.by || '', compare: params.compare === '1' };
  for (const d of dimensions) view[d] = params[d] || '';
  if (params.from) view.from = params.from;
  if (params.to) view.to = params.to;
  const span = period(view);
  const ask = { ...span, interval: view.interval, by: kind === 'agents' || !perTicket ? '' : view.by };
  if (perTicket) for (const d of dimensions) if (view[d]) ask[d] = view[d];

  const address = (next) => {
    const merged = { ...view, ...next };
    const state = { period: merged.period, interval: merged.interval, by: merged.by, compare: merged.compare ? '1' : '' };
    if (merged.period === 'custom') Object.assign(state, { from: merged.from, to: merged.to });
    for (const d of dimensions) state[d] = merged[d];
    return `#/reports/${merged.kind || kind}${query(state)}`;
  };

  // Labels of a group's key.
  const label = (group, key) => {
    if (group === 'agent') return key === 'unassigned' ? W('unassigned') : context.agentName(key);
    if (group === 'category') return context.categoryLabel(key);
    if (group === 'status') return context.statusLabel(key);
    if (group === 'priority') return t(`priorities.${key}`);
    if (group === 'channel') return W('channels')[key] || key;
    if (group === 'queue') return key === 'none' ? W('noQueue') : (context.config.queues.find((q) => q.id === key)?.name || key);
    return key;
  };

  const body = h('div', { class: 'report-body', 'aria-live': 'polite' }, h('p', { class: 'loading' }, W('loading')));
  const drill = h('section', { class: 'drill card', hidden: true, 'aria-label': W('reports'), tabindex: '-1' });
  mount(container, h('div', { class: 'reports' },
    h('h2', {}, W('reports')),
    h('nav', { class: 'subtabs', 'aria-label': W('reports') }, shown.map((id) => h('a', {
      href: address({ kind: id }), class: `tab${id === kind ? ' active' : ''}`, 'aria-current': id === kind ? 'page' : null,
    }, W(id)))),
    filters(),
    body, drill));

  function filters() {
    const select = (name, text, options, value) => {
      const control = h('select', { id: `report-${name}`, name }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
      return field(text, control);
    };
    const custom = view.period === 'custom';
    const fromInput = h('input', { id: 'report-from', name: 'from', type: 'date', value: view.from || '' });
    const toInput = h('input', { id: 'report-to', name: 'to', type: 'date', value: view.to || '' });
    const dates = h('div', { class: 'report-dates', hidden: !custom }, field(W('from'), fromInput), field(W('to'), toInput));
    const periodSelect = select('period', W('period'), [['7', W('last7')], ['30', W('last30')], ['90', W('last90')], ['365', W('last365')], ['custom', W('custom')]], view.period);
    periodSelect.querySelector('select').addEventListener('change', (event) => { dates.hidden = event.target.value !== 'custom'; });
    const groups = kind === 'backlog' ? [...dimensions, 'status'] : dimensions;
    const form = h('form', { class: 'report-filters', 'aria-label': W('filters') },
      periodSelect, dates,
      select('interval', W('interval'), ['hour', 'day', 'week', 'month'].map((i) => [i, W(i)]), view.interval),
      kind === 'agents' || !perTicket ? null : select('by', W('groupBy'), [['', W('nothing')], ...groups.filter((g) => admin || g !== 'agent').map((g) => [g, W(g)])], view.by),
      perTicket ? select('channel', W('channel'), [['', W('any')], ...Object.keys(W('channels')).map((c) => [c, W('channels')[c]])], view.channel) : null,
      perTicket ? select('category', W('category'), [['', W('any')], ...context.config.categories.map((c) => [c.id, context.categoryLabel(c.id)])], view.category) : null,
      perTicket ? select('priority', W('priority'), [['', W('any')], ...context.config.priorities.map((p) => [p, t(`priorities.${p}`)])], view.priority) : null,
      perTicket && context.config.queues.length ? select('queue', W('queue'), [['', W('any')], ...context.config.queues.map((q) => [q.id, q.name]), ['none', W('noQueue')]], view.queue) : null,
      perTicket && admin ? select('agent', W('agent'), [['', W('any')], ...[...context.agents.entries()].map(([id, a]) => [id, a.name || id]), ['unassigned', W('unassigned')]], view.agent) : null,
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'compare', checked: view.compare }), W('compare')),
      h('button', { type: 'submit', class: 'primary' }, W('apply')));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const next = { period: data.get('period'), interval: data.get('interval'), by: data.get('by') || '', compare: data.get('compare') === 'on' };
      if (next.period === 'custom') Object.assign(next, { from: data.get('from'), to: data.get('to') });
      for (const d of dimensions) next[d] = data.get(d) || '';
      location.hash = address(next);
    });
    // On a phone the filters fold under one line saying what is shown; on a wide screen they stay open.
    const summary = [W(view.period === 'custom' ? 'custom' : `last${view.period}`), W(view.interval), perTicket && view.by ? W(view.by) : null,
      ...dimensions.filter((d) => perTicket && view[d]).map((d) => `${W(d)}: ${label(d, view[d])}`)].filter(Boolean).join(' · ');
    return h('details', { class: 'report-filters-box', open: window.matchMedia('(min-width: 761px)').matches },
      h('summary', {}, `${W('filters')}: ${summary}`), form);
  }

  let answer, before;
  try {
    answer = await api.get(`/api/v2/reports/${kind}${query(ask)}`);
    if (view.compare) {
      const previous = { ...ask, ...previousPeriod(answer) };
      delete previous.lastDays;
      before = await api.get(`/api/v2/reports/${kind}${query(previous)}`);
    }
  } catch (error) {
    if (context.current && !context.current()) return;
    mount(body, h('p', { class: 'notice error' }, error.message));
    failure(error);
    return;
  }
  // Someone went elsewhere while the figures came: nothing to draw.
  if (context.current && !context.current()) return;

  // Bucket labels and bounds, in the tenant's zone.
  const zone = answer.timeZone;
  const fmt = {
    hour: new Intl.DateTimeFormat(t.lang, { timeZone: zone, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
    day: new Intl.DateTimeFormat(t.lang, { timeZone: zone, month: 'short', day: 'numeric' }),
    week: new Intl.DateTimeFormat(t.lang, { timeZone: zone, month: 'short', day: 'numeric' }),
    month: new Intl.DateTimeFormat(t.lang, { timeZone: zone, month: 'short', year: 'numeric' }),
  };
  const bucketLabel = (b) => fmt[answer.interval].format(new Date(b.start));
  const bounds = (i) => {
    const start = answer.buckets[i].start;
    const next = i + 1 < answer.buckets.length ? answer.buckets[i + 1].start : answer.to;
    return { from: start, to: new Date(new Date(next).getTime() - 1).toISOString() };
  };
  const number = new Intl.NumberFormat(t.lang, { maximumFractionDigits: 1 });
  const hours = (seconds) => (seconds === null || seconds === undefined ? null : Math.round((seconds / 3600) * 10) / 10);
  const durationText = (seconds) => {
    if (seconds === null || seconds === undefined) return '—';
    if (seconds < 3600) return new Intl.NumberFormat(t.lang, { style: 'unit', unit: 'minute', unitDisplay: 'short', maximumFractionDigits: 0 }).format(seconds / 60);
    if (seconds < 172800) return new Intl.NumberFormat(t.lang, { style: 'unit', unit: 'hour', unitDisplay: 'short', maximumFractionDigits: 1 }).format(seconds / 3600);
    return new Intl.NumberFormat(t.lang, { style: 'unit', unit: 'day', unitDisplay: 'short', maximumFractionDigits: 1 }).format(seconds / 86400);
  };
  const percent = (value) => (value === null || value === undefined ? '—' : `${number.format(value)} %`);

  // The tickets behind a bucket, a group or a figure: the ticket list with the matching filters.
  const base = {};
  for (const d of dimensions) if (answer.filters[d]) base[listFilter[d]] = answer.filters[d] === 'unassigned' || answer.filters[d] === 'none' ? 'none' : answer.filters[d];
  async function openTickets(filters, what) {
    const list = { ...base, ...filters };
    for (const [key, value] of Object.entries(list)) if ((key === 'assignedAgent' || key === 'queue') && value === 'unassigned') list[key] = 'none';
    drill.hidden = false;
    mount(drill, h('p', { class: 'loading' }, W('loading')));
    try {
      const page = await api.get(`/api/v2/tickets${query({ ...list, limit: 100, sortOrder: 'asc' })}`);
      const items = page.tickets || [];
      mount(drill,
        h('div', { class: 'drill-head' }, h('h3', {}, w('behind', { tickets: tickets.charAt(0).toLocaleUpperCase(t.lang) + tickets.slice(1), what })),
          h('a', { class: 'button', href: `/api/v2/tickets.csv${query(list)}`, download: 'tickets.csv' }, w('downloadTickets', { tickets })),
          h('button', { type: 'button', class: 'link', onclick: () => { drill.hidden = true; } }, W('close'))),
        items.length ? h('p', { class: 'hint' }, w('shown', { n: items.length, m: page.pagination?.total ?? items.length })) : h('p', { class: 'empty' }, w('none', { tickets })),
        h('ul', { class: 'drill-list' }, items.map((ticket) => h('li', {},
          h('a', { href: `#/ticket/${encodeURIComponent(ticket.ticketId)}` }, ticket.ticketId),
          h('span', { class: 'subject' }, ticket.subject),
          h('span', { class: 'badge' }, context.statusLabel(ticket.status)),
          h('span', { class: 'muted' }, label('agent', ticket.assignedAgent || 'unassigned')),
          ticket.customerFeedback ? h('span', { class: 'rating-given' }, `★ ${ticket.customerFeedback.rating}`) : null,
          ticket.customerFeedback?.comment ? h('q', { class: 'comment' }, ticket.customerFeedback.comment) : null))));
      drill.focus();
    } catch (error) {
      mount(drill, h('p', { class: 'notice error' }, error.message));
    }
  }
  const groupFilter = (group, key) => (group ? { [listFilter[group]]: key === 'unassigned' || key === 'none' ? 'none' : key } : {});

  // The figures' cards, each with its change against the period before.
  const card = (title, value, previousValue, text = number.format) => {
    let change = null;
    if (before && typeof value === 'number' && typeof previousValue === 'number') {
      const diff = previousValue === 0 ? null : ((value - previousValue) / previousValue) * 100;
      change = h('span', { class: `change ${value > previousValue ? 'up' : value < previousValue ? 'down' : ''}` },
        value === previousValue ? W('same') : w('previous', { d: diff === null ? `${value > previousValue ? '+' : ''}${number.format(value - previousValue)}` : `${diff > 0 ? '+' : ''}${number.format(diff)} %` }));
    }
    return h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, title), h('strong', { class: 'stat-value' }, value === null || value === undefined ? '—' : text(value)), change);
  };

  // Series of a grouped answer: the largest groups first, at most 8 (the rest as one).
  const groupSeries = (field) => {
    const totals = Object.entries(answer.totals.groups || {}).map(([key, f]) => [key, field(f) || 0]).sort((a, b) => b[1] - a[1]);
    const keys = totals.slice(0, totals.length > 8 ? 7 : 8).map(([key]) => key);
    const series = keys.map((key) => ({ key, name: label(answer.by, key), values: answer.buckets.map((b) => (b.groups?.[key] ? field(b.groups[key]) : 0)) }));
    if (totals.length > 8) {
      const rest = new Set(totals.slice(7).map(([key]) => key));
      series.push({ key: null, name: W('other'), values: answer.buckets.map((b) => Object.entries(b.groups || {}).filter(([k]) => rest.has(k)).reduce((s, [, f]) => s + (field(f) || 0), 0)) });
    }
    return series;
  };
  const categories = answer.buckets.map(bucketLabel);
  const chartWords = { tableView: W('tableView'), chartView: W('chartView') };
  const csv = h('a', { class: 'button', href: `/api/v2/reports/${kind}.csv${query(ask)}`, download: `${kind}.csv` }, W('downloadCSV'));
  const notes = h('p', { class: 'hint' }, w('timeZone', { z: zone }), ' ', admin ? '' : W('ownFigures'), ' ', answer.fromTickets ? w('fromTickets', { tickets }) : '');

  const render = {
    volume() {
      const p = before?.totals;
      const cards = h('div', { class: 'stats' }, card(W('created'), answer.totals.created, p?.created), card(W('resolved'), answer.totals.resolved, p?.resolved));
      const series = answer.by
        ? groupSeries((f) => f.created)
        : [{ name: W('created'), values: answer.buckets.map((b) => b.created) }, { name: W('resolved'), values: answer.buckets.map((b) => b.resolved) }];
      const figure = chart({
        kind: 'bars', title: answer.by ? `${W('created')} · ${W(answer.by)}` : `${W('created')} / ${W('resolved')}`, categories, series,
        stacked: Boolean(answer.by), format: (v) => number.format(v), words: chartWords, categoryHeader: W(answer.interval),
        onPick: (i, s) => {
          const { from: f, to: tt } = bounds(i);
          const resolved = !answer.by && s === 1;
          const filters = resolved ? { resolvedFrom: f, resolvedTo: tt, status: context.finished.join(',') } : { createdFrom: f, createdTo: tt };
          if (answer.by && series[s].key !== null) Object.assign(filters, groupFilter(answer.by, series[s].key));
          openTickets(filters, `${w(resolved ? 'resolvedIn' : 'createdIn', { b: categories[i] })}${answer.by ? ` · ${series[s].name}` : ''}`);
        },
      });
      return [cards, figure];
    },
    backlog() {
      const now = answer.now || { open: 0, byStatus: {}, byAge: {} };
      const cards = h('div', { class: 'stats' }, card(W('openNow'), now.open, before?.now?.open), card(`${W('open')} · ${categories[categories.length - 1] || ''}`, answer.totals.open, before?.totals.open));
      const series = answer.by ? groupSeries((f) => f.open) : [{ name: W('open'), values: answer.buckets.map((b) => b.open) }];
      const over = chart({
        kind: 'lines', title: answer.by ? `${W('open')} · ${W(answer.by)}` : W('open'), categories, series, format: (v) => number.format(v),
        words: chartWords, categoryHeader: W(answer.interval),
        onPick: (i, s) => {
          const filters = { createdTo: bounds(i).to, status: context.openStatuses.join(',') };
          if (answer.by && series[s].key !== null) Object.assign(filters, groupFilter(answer.by, series[s].key));
          openTickets(filters, w('openEnd', { b: categories[i] }) + (answer.by ? ` · ${series[s].name}` : ''));
        },
      });
      const statuses = Object.keys(now.byStatus);
      const byStatus = chart({
        kind: 'bars', title: W('byStatus'), room: 520, categories: statuses.map((s) => context.statusLabel(s)),
        series: [{ name: W('open'), values: statuses.map((s) => now.byStatus[s]) }], format: (v) => number.format(v), words: chartWords,
        categoryHeader: W('status'), onPick: (i) => openTickets({ status: statuses[i] }, w('inStatus', { s: context.statusLabel(statuses[i]) })),
      });
      const ages = ['lt1h', 'lt1d', 'lt3d', 'lt7d', 'gte7d'];
      const limits = { lt1h: [0, 3600], lt1d: [3600, 86400], lt3d: [86400, 259200], lt7d: [259200, 604800], gte7d: [604800, null] };
      const byAge = chart({
        kind: 'bars', title: W('byAge'), room: 520, categories: ages.map((a) => W('ages')[a]), series: [{ name: W('open'), values: ages.map((a) => now.byAge[a] || 0) }],
        format: (v) => number.format(v), words: chartWords, categoryHeader: W('byAge'),
        onPick: (i) => {
          const [young, old] = limits[ages[i]];
          const at = Date.now();
          const filters = { status: context.openStatuses.join(','), createdTo: new Date(at - young * 1000).toISOString() };
          if (old !== null) filters.createdFrom = new Date(at - old * 1000).toISOString();
          openTickets(filters, w('aged', { a: W('ages')[ages[i]] }));
        },
      });
      return [cards, over, h('div', { class: 'chart-pair' }, byStatus, byAge)];
    },
    times() {
      const f = answer.totals, p = before?.totals;
      const cards = h('div', { class: 'stats' },
        card(`${W('firstResponse')} · ${W('p50')}`, f.firstResponse.p50Seconds, p?.firstResponse.p50Seconds, durationText),
        card(`${W('firstResponse')} · ${W('p90')}`, f.firstResponse.p90Seconds, p?.firstResponse.p90Seconds, durationText),
        card(`${W('nextReply')} · ${W('p50')}`, f.nextReply.p50Seconds, p?.nextReply.p50Seconds, durationText),
        card(`${W('resolution')} · ${W('p50')}`, f.resolution.p50Seconds, p?.resolution.p50Seconds, durationText),
        card(`${W('resolution')} · ${W('p90')}`, f.resolution.p90Seconds, p?.resolution.p90Seconds, durationText),
        card(`${W('slaMet')} · ${W('firstResponse')}`, f.sla.firstResponse?.percent, p?.sla.firstResponse?.percent, percent),
        card(`${W('slaMet')} · ${W('resolution')}`, f.sla.resolution?.percent, p?.sla.resolution?.percent, percent),
        card(W('breaches'), f.breaches, p?.breaches));
      const pickCreated = (i) => openTickets({ createdFrom: bounds(i).from, createdTo: bounds(i).to }, w('createdIn', { b: categories[i] }));
      const durationChart = (kind) => chart({
        kind: 'lines', title: `${W(kind)} · ${W('timesChart')}`, categories, format: (v) => number.format(v), words: chartWords, room: 520,
        categoryHeader: W(answer.interval),
        series: [
          { name: W('p50'), values: answer.buckets.map((b) => hours(b[kind].p50Seconds)) },
          { name: W('p90'), values: answer.buckets.map((b) => hours(b[kind].p90Seconds)) },
        ],
        onPick: pickCreated,
      });
      const timesChart = h('div', { class: 'chart-pair' }, durationChart('firstResponse'), durationChart('resolution'));
      const slaChart = chart({
        kind: 'bars', title: W('slaChart'), categories, format: (v) => number.format(v), words: chartWords, categoryHeader: W(answer.interval),
        series: ['firstResponse', 'nextReply', 'resolution'].map((k) => ({ name: W(k), values: answer.buckets.map((b) => b.sla[k]?.percent ?? null) })),
        onPick: pickCreated,
      });
      return [cards, timesChart, slaChart];
    },
    agents() {
      const groups = answer.totals.groups || {};
      const rows = (answer.agents || []).map((a) => ({ ...a, figures: groups[a.agentId] }))
        .sort((a, b) => (a.name || a.agentId).localeCompare(b.name || b.agentId, t.lang, { numeric: true }));
      const ids = rows.map((r) => r.agentId);
      const resolvedChart = chart({
        kind: 'bars', title: `${W('resolved')} · ${W('agent')}`, categories: rows.map((r) => r.name || r.agentId),
        series: [{ name: W('created'), values: rows.map((r) => r.figures?.created || 0) }, { name: W('resolved'), values: rows.map((r) => r.figures?.resolved || 0) }],
        format: (v) => number.format(v), words: chartWords, categoryHeader: W('agent'),
        onPick: (i) => openTickets({ assignedAgent: ids[i], createdFrom: answer.from, createdTo: answer.to }, w('ofAgent', { a: rows[i].name || ids[i] })),
      });
      const table = h('table', { class: 'agents-table' },
        h('thead', {}, h('tr', {}, [W('agent'), W('presence'), W('load'), W('created'), W('resolved'), `${W('firstResponse')} · ${W('p50')}`,
          `${W('resolution')} · ${W('p50')}`, W('slaMet'), W('avgRating')].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows.map((r, i) => h('tr', {},
          h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => openTickets({ assignedAgent: ids[i], createdFrom: answer.from, createdTo: answer.to }, w('ofAgent', { a: r.name || r.agentId })) }, r.name || r.agentId)),
          h('td', {}, r.presence ? h('span', { class: `presence-dot ${r.presence}` }, t(`presence_${r.presence}`)) : '—'),
          h('td', {}, number.format(r.load)),
          h('td', {}, number.format(r.figures?.created || 0)), h('td', {}, number.format(r.figures?.resolved || 0)),
          h('td', {}, durationText(r.figures?.firstResponse.p50Seconds)), h('td', {}, durationText(r.figures?.resolution.p50Seconds)),
          h('td', {}, percent(r.figures?.sla.percent)), h('td', {}, r.figures?.averageRating ? number.format(r.figures.averageRating) : '—')))));
      return [h('div', { class: 'table-scroll' }, table), resolvedChart];
    },
    satisfaction() {
      const f = answer.totals, p = before?.totals;
      const cards = h('div', { class: 'stats' }, card(W('ratings'), f.ratings, p?.ratings), card(W('avgRating'), f.average, p?.average));
      const perBucket = chart({
        kind: 'bars', title: W('ratings'), room: 520, categories, format: (v) => number.format(v), words: chartWords, categoryHeader: W(answer.interval),
        series: [{ name: W('ratings'), values: answer.buckets.map((b) => b.ratings) }],
        onPick: (i) => openTickets({ ratedFrom: bounds(i).from, ratedTo: bounds(i).to }, w('ratedIn', { b: categories[i] })),
      });
      const scores = ['1', '2', '3', '4', '5'];
      const distribution = chart({
        kind: 'bars', title: W('distribution'), room: 520, categories: scores.map((s) => `★ ${s}`), series: [{ name: W('ratings'), values: scores.map((s) => f.distribution[s] || 0) }],
        format: (v) => number.format(v), words: chartWords, categoryHeader: W('ratings'),
        onPick: () => openTickets({ ratedFrom: answer.from, ratedTo: answer.to }, w('ratedIn', { b: `${categories[0] || ''} – ${categories[categories.length - 1] || ''}` })),
      });
      return [cards, h('div', { class: 'chart-pair' }, perBucket, distribution)];
    },
    rules() {
      const f = answer.totals, p = before?.totals;
      const rate = (x) => (x && x.evaluations ? (x.errors * 100) / x.evaluations : null);
      const micros = (v) => new Intl.NumberFormat(t.lang, { maximumFractionDigits: 0 }).format(v) + ' µs';
      const cards = h('div', { class: 'stats' },
        card(W('evaluations'), f.evaluations, p?.evaluations), card(W('errors'), f.errors, p?.errors),
        card(W('errorRate'), rate(f), p ? rate(p) : undefined, percent), card(W('budgetOverruns'), f.budgetOverruns, p?.budgetOverruns),
        card(W('actions'), f.actions, p?.actions), card(W('rejected'), f.rejected, p?.rejected),
        card(W('averageMicros'), f.averageMicros, p?.averageMicros, micros));
      // The versions (a rollout's two side by side), the busiest first.
      const versions = Object.entries(f.groups || {}).sort((a, b) => b[1].evaluations - a[1].evaluations).map(([key]) => key);
      const perVersion = chart({
        kind: 'bars', title: W('perVersion'), categories, stacked: true, format: (v) => number.format(v), words: chartWords, categoryHeader: W(answer.interval),
        series: versions.map((key) => ({ key, name: key, values: answer.buckets.map((b) => b.groups?.[key]?.evaluations || 0) })),
      });
      const failures = chart({
        kind: 'lines', title: `${W('errors')} / ${W('budgetOverruns')} / ${W('rejected')}`, categories, format: (v) => number.format(v), words: chartWords,
        categoryHeader: W(answer.interval),
        series: [
          { name: W('errors'), values: answer.buckets.map((b) => b.errors) },
          { name: W('budgetOverruns'), values: answer.buckets.map((b) => b.budgetOverruns) },
          { name: W('rejected'), values: answer.buckets.map((b) => b.rejected) },
        ],
      });
      const failing = answer.failing || [];
      const failingTable = failing.length
        ? h('div', { class: 'table-scroll' }, h('table', { class: 'agents-table rules-table' },
          h('caption', {}, W('failingRules')),
          h('thead', {}, h('tr', {}, [W('rule'), W('pack'), W('errors'), W('budgetOverruns'), W('rejected')].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, failing.map((r) => h('tr', {},
            h('th', { scope: 'row' }, h('code', {}, r.rule)), h('td', {}, r.pack), h('td', {}, number.format(r.errors)),
            h('td', {}, number.format(r.budgetOverruns)), h('td', {}, number.format(r.rejected)))))))
        : h('p', { class: 'empty' }, W('noFailures'));
      const out = [cards, h('div', { class: 'chart-pair' }, perVersion, failures), failingTable];
      const r = answer.rollout;
      if (r) {
        const side = (title, version, x) => h('tr', {}, h('th', { scope: 'row' }, `${title} · ${version}`),
          h('td', {}, number.format(x.evaluations)), h('td', {}, number.format(x.errors)), h('td', {}, number.format(x.budgetOverruns)),
          h('td', {}, x.evaluations ? micros(x.micros / x.evaluations) : '—'), h('td', {}, number.format(x.decided)));
        out.push(h('section', { class: 'card rollout-compare', 'aria-label': W('rollout') },
          h('h3', {}, W('rollout')),
          h('p', {}, w('rolloutOf', { v: r.packId + '@' + r.version, a: r.activeVersion, m: W('modes')[r.mode] || r.mode, s: W('states')[r.state] || r.state })),
          h('div', { class: 'stats' }, card(W('events'), r.events), card(W('differing'), r.differing)),
          h('div', { class: 'table-scroll' }, h('table', { class: 'agents-table' },
            h('thead', {}, h('tr', {}, ['', W('evaluations'), W('errors'), W('budgetOverruns'), W('averageMicros'), W('decided')].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, side(W('active'), r.activeVersion, r.active), side(W('candidate'), `${r.packId}@${r.version}`, r.candidate))))));
      }
      return out;
    },
  };
  mount(body, h('div', { class: 'report-actions' }, notes, csv), render[kind]());
}

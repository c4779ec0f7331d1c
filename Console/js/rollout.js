// The pack screen's staged rollout: start a shadow or canary rollout of another version with
// its rollback limits, watch it (the two versions' figures and a chart of events, differences
// and errors per minute, drawn here as SVG with a table beside it for keyboards and screen
// readers), promote or abort it; an ended rollout says how and why it ended.

import { h, mount, time } from './dom.js';
import { enc } from './api.js';
import { wordsOf } from './i18n.js';

const words = {
  en: { title: 'Staged rollout', none: 'No rollout yet: try a version on live traffic before it decides for everyone.',
    start: 'Start rollout', version: 'Candidate version', mode: 'Mode', shadow: 'Shadow (recorded, never applied)', canary: 'Canary (decides for a share)',
    percent: 'Share of tickets (%)', maxErrorRate: 'Roll back above this error rate (%)', maxBudgetOverruns: 'Roll back above this many budget overruns',
    maxDifferenceRate: 'Roll back above this share of differing decisions (%)', minEvents: 'Evaluations before a rate is judged',
    running: 'Running', rolled_back: 'Rolled back by itself', promoted: 'Promoted', aborted: 'Aborted', promote: 'Promote to active', abort: 'Abort',
    events: 'Events seen', differing: 'Decided differently', active: 'Active', candidate: 'Candidate', evaluations: 'Evaluations', errors: 'Errors',
    budget: 'Budget overruns', avg: 'Average time', decided: 'Events decided', differences: 'Differences', chart: 'Per minute: events, differing decisions and candidate errors',
    minute: 'Minute', table: 'Figures per minute', started: 'Started {at} by {by}', ended: 'Ended {at}: {why}', noVersions: 'Upload another version first.',
    crossed: { maxErrorRate: 'the candidate failed in {e} of {n} evaluations ({r}; at most {m} allowed)',
      maxBudgetOverruns: 'the candidate ran out of budget {b} times (at most {mb} allowed)',
      maxDifferenceRate: '{d} of {ev} events were decided differently ({r}; at most {m} allowed)' },
    startedToast: 'Rollout of {v} started.', promotedToast: 'Now active: {v}.', abortedToast: 'Rollout aborted.' },
  es: { title: 'Despliegue gradual', none: 'Aún no hay despliegues: prueba una versión con el tráfico real antes de que decida para todos.',
    start: 'Iniciar despliegue', version: 'Versión candidata', mode: 'Modo', shadow: 'En sombra (se registra, nunca se aplica)', canary: 'Canario (decide para una parte)',
    percent: 'Parte de los tickets (%)', maxErrorRate: 'Revertir con una tasa de errores mayor a (%)', maxBudgetOverruns: 'Revertir con más excesos de límite que',
    maxDifferenceRate: 'Revertir con más decisiones distintas que (%)', minEvents: 'Evaluaciones antes de juzgar una tasa',
    running: 'En curso', rolled_back: 'Revertido automáticamente', promoted: 'Promovido', aborted: 'Cancelado', promote: 'Promover a activa', abort: 'Cancelar',
    events: 'Eventos vistos', differing: 'Decididos distinto', active: 'Activa', candidate: 'Candidata', evaluations: 'Evaluaciones', errors: 'Errores',
    budget: 'Excesos de límite', avg: 'Tiempo medio', decided: 'Eventos decididos', differences: 'Diferencias', chart: 'Por minuto: eventos, decisiones distintas y errores de la candidata',
    minute: 'Minuto', table: 'Cifras por minuto', started: 'Iniciado {at} por {by}', ended: 'Terminó {at}: {why}', noVersions: 'Primero sube otra versión.',
    crossed: { maxErrorRate: 'la candidata falló en {e} de {n} evaluaciones ({r}; máximo permitido {m})',
      maxBudgetOverruns: 'la candidata excedió su límite {b} veces (máximo permitido {mb})',
      maxDifferenceRate: '{d} de {ev} eventos se decidieron distinto ({r}; máximo permitido {m})' },
    startedToast: 'Despliegue de {v} iniciado.', promotedToast: 'Activa ahora: {v}.', abortedToast: 'Despliegue cancelado.' },
  vi: { title: 'Triển khai từng bước', none: 'Chưa có lần triển khai nào: thử một phiên bản trên dữ liệu thật trước khi nó quyết định cho mọi phiếu.',
    start: 'Bắt đầu triển khai', version: 'Phiên bản thử', mode: 'Chế độ', shadow: 'Chạy song song (chỉ ghi lại, không áp dụng)', canary: 'Thử nghiệm (quyết định cho một phần)',
    percent: 'Tỷ lệ phiếu (%)', maxErrorRate: 'Hoàn tác khi tỷ lệ lỗi vượt (%)', maxBudgetOverruns: 'Hoàn tác khi số lần vượt giới hạn vượt',
    maxDifferenceRate: 'Hoàn tác khi tỷ lệ quyết định khác vượt (%)', minEvents: 'Số lần đánh giá trước khi xét tỷ lệ',
    running: 'Đang chạy', rolled_back: 'Đã tự hoàn tác', promoted: 'Đã áp dụng', aborted: 'Đã hủy', promote: 'Áp dụng làm bản chính', abort: 'Hủy',
    events: 'Sự kiện', differing: 'Quyết định khác nhau', active: 'Bản chính', candidate: 'Bản thử', evaluations: 'Lần đánh giá', errors: 'Lỗi',
    budget: 'Vượt giới hạn', avg: 'Thời gian trung bình', decided: 'Sự kiện đã quyết định', differences: 'Khác biệt', chart: 'Theo phút: sự kiện, quyết định khác nhau và lỗi của bản thử',
    minute: 'Phút', table: 'Số liệu theo phút', started: 'Bắt đầu {at} bởi {by}', ended: 'Kết thúc {at}: {why}', noVersions: 'Hãy tải lên một phiên bản khác trước.',
    crossed: { maxErrorRate: 'bản thử lỗi {e} trên {n} lần đánh giá ({r}; tối đa cho phép {m})',
      maxBudgetOverruns: 'bản thử vượt giới hạn {b} lần (tối đa cho phép {mb})',
      maxDifferenceRate: '{d} trên {ev} sự kiện được quyết định khác nhau ({r}; tối đa cho phép {m})' },
    startedToast: 'Đã bắt đầu triển khai {v}.', promotedToast: 'Đang dùng: {v}.', abortedToast: 'Đã hủy triển khai.' },
};

/** Fills `box` with the tenant's rollout; `changed` is called when the active version changed. */
export async function renderRollout(box, { api, t, toast, failure, tenant, changed }) {
  const w = wordsOf(words, t);
  const base = `/api/v2/tenants/${enc(tenant.id)}/pack/rollout`;
  const { rollout } = await api.get(base);
  clearTimeout(box.refresh);
  if (rollout && rollout.state === 'running') {
    mount(box, h('h3', {}, w('title')), watch(rollout));
    // Figures come in as changes are made: read them again while it runs and the box is shown.
    box.refresh = setTimeout(() => { if (box.isConnected) renderRollout(box, { api, t, toast, failure, tenant, changed }).catch(failure); }, 5000);
    return;
  }
  // Any version the tenant may use but the active one: its own pack's, or a pack of its own.
  const { packs } = await api.get('/api/v2/packs');
  const others = packs.flatMap((pack) => pack.versions.map((v) => ({ pack: pack.id, version: v })))
    .filter((c) => c.pack !== tenant.pack.id || c.version !== tenant.pack.version)
    .sort((a, b) => Number(b.pack === tenant.pack.id) - Number(a.pack === tenant.pack.id));
  mount(box, h('h3', {}, w('title')), rollout ? watch(rollout) : h('p', { class: 'hint' }, w('none')),
    others.length ? startForm(others) : h('p', { class: 'hint' }, w('noVersions')));

  function startForm(choices) {
    const field = (id, label, input) => h('label', { class: 'field compact', for: id }, h('span', {}, label), input);
    const version = h('select', { id: 'rollout-version' }, choices.map((c, i) => h('option', { value: String(i) }, `${c.pack} ${c.version}`)));
    const mode = h('select', { id: 'rollout-mode' }, h('option', { value: 'canary' }, w('canary')), h('option', { value: 'shadow' }, w('shadow')));
    const percent = h('input', { id: 'rollout-percent', type: 'number', min: '1', max: '99', step: '1', value: '10' });
    const errorRate = h('input', { id: 'rollout-error-rate', type: 'number', min: '0', max: '100', step: '0.1', value: '1' });
    const overruns = h('input', { id: 'rollout-overruns', type: 'number', min: '0', step: '1', value: '0' });
    const differenceRate = h('input', { id: 'rollout-difference-rate', type: 'number', min: '0', max: '100', step: '1', value: '' });
    const minEvents = h('input', { id: 'rollout-min-events', type: 'number', min: '1', step: '1', value: '20' });
    const percentField = field('rollout-percent', w('percent'), percent);
    mode.addEventListener('change', () => { percentField.hidden = mode.value !== 'canary'; });
    const number = (input, scale = 1) => (input.value === '' ? undefined : Number(input.value) / scale);
    async function start(event) {
      event.preventDefault();
      try {
        const chosen = choices[Number(version.value)];
        const body = { pack: chosen.pack, version: chosen.version, mode: mode.value,
          rollback: { maxErrorRate: number(errorRate, 100), maxBudgetOverruns: number(overruns), maxDifferenceRate: number(differenceRate, 100), minEvents: number(minEvents) } };
        if (mode.value === 'canary') body.percent = number(percent);
        await api.put(base, body);
        toast(w('startedToast', { v: `${chosen.pack} ${chosen.version}` }), 'ok');
        await renderRollout(box, { api, t, toast, failure, tenant, changed });
      } catch (error) {
        failure(error);
      }
    }
    return h('form', { class: 'rollout-form', onsubmit: start },
      field('rollout-version', w('version'), version), field('rollout-mode', w('mode'), mode), percentField,
      field('rollout-error-rate', w('maxErrorRate'), errorRate), field('rollout-overruns', w('maxBudgetOverruns'), overruns),
      field('rollout-difference-rate', w('maxDifferenceRate'), differenceRate), field('rollout-min-events', w('minEvents'), minEvents),
      h('button', { type: 'submit', id: 'rollout-start', class: 'primary' }, w('start')));
  }

  function watch(r) {
    const share = (n, of) => (of ? `${((100 * n) / of).toLocaleString(t.lang, { maximumFractionDigits: 1 })} %` : '–');
    const avg = (side) => (side.evaluations ? `${Math.round(side.micros / side.evaluations)} µs` : '–');
    const row = (label, a, c) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, a), h('td', {}, c));
    const live = r.state === 'running';
    return h('div', { class: `rollout rollout-${r.state}`, id: 'rollout-status' },
      h('p', { class: 'rollout-head' }, h('span', { class: `badge state-${r.state}` }, w(r.state)), ' ',
        h('strong', {}, `${r.packId} ${r.version}`), ` · ${w(r.mode)}${r.percent ? ` · ${r.percent} %` : ''} · ${r.activeVersion}`),
      h('p', { class: 'stamp' }, w('started', { at: time(r.startedAt, t.lang), by: r.startedBy })),
      r.reason && !live ? h('p', { class: r.state === 'rolled_back' ? 'form-error rollout-reason' : 'rollout-reason' }, w('ended', { at: time(r.endedAt, t.lang), why: reason(r) })) : null,
      h('p', {}, `${w('events')}: ${r.events} · ${w('differing')}: ${r.differing} (${share(r.differing, r.events)})`),
      h('table', { class: 'rollout-figures' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { scope: 'col' }, w('active')), h('th', { scope: 'col' }, w('candidate')))),
        h('tbody', {},
          row(w('evaluations'), r.active.evaluations, r.candidate.evaluations),
          row(w('errors'), `${r.active.errors} (${share(r.active.errors, r.active.evaluations)})`, `${r.candidate.errors} (${share(r.candidate.errors, r.candidate.evaluations)})`),
          row(w('budget'), r.active.budgetOverruns, r.candidate.budgetOverruns),
          row(w('avg'), avg(r.active), avg(r.candidate)),
          row(w('decided'), r.active.decided, r.candidate.decided))),
      Object.keys(r.differences).length ? h('p', { class: 'rollout-differences' }, `${w('differences')}: `,
        Object.entries(r.differences).sort().map(([kind, n]) => h('code', {}, `${kind} × ${n}`)).reduce((all, el) => (all.length ? [...all, ' ', el] : [el]), [])) : null,
      chart(r.series),
      live ? h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'rollout-promote', class: 'primary', onclick: () => end('promote') }, w('promote')),
        h('button', { type: 'button', id: 'rollout-abort', onclick: () => end('abort') }, w('abort'))) : null);
  }

  /** Why it ended, in the console's words when it crossed a limit. */
  function reason(r) {
    const table = (words[t.lang] || words.en).crossed;
    const template = r.crossed && table[r.crossed];
    if (!template) return r.reason;
    const pct = (x) => `${(Math.round(x * 1000) / 10).toLocaleString(t.lang)} %`;
    const c = r.candidate, limits = r.limits;
    const values = { e: c.errors, n: c.evaluations, b: c.budgetOverruns, mb: limits.maxBudgetOverruns, d: r.differing, ev: r.events,
      r: r.crossed === 'maxErrorRate' ? pct(c.errors / Math.max(1, c.evaluations)) : pct(r.differing / Math.max(1, r.events)),
      m: pct(r.crossed === 'maxErrorRate' ? limits.maxErrorRate : limits.maxDifferenceRate) };
    return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  }

  async function end(how) {
    try {
      if (how === 'promote') {
        const { tenant: now } = await api.post(`${base}/promote`, {});
        toast(w('promotedToast', { v: `${now.pack.id} ${now.pack.version}` }), 'ok');
        tenant = now;
        if (changed) await changed();
      } else {
        await api.del(base);
        toast(w('abortedToast'), 'ok');
      }
      await renderRollout(box, { api, t, toast, failure, tenant, changed });
    } catch (error) {
      failure(error);
    }
  }

  /** Bars of events per minute with lines of differing decisions and candidate errors. */
  function chart(series) {
    if (!series.length) return null;
    const width = 600, height = 140, pad = 24;
    const top = Math.max(1, ...series.map((b) => b.events));
    const step = (width - pad * 2) / series.length;
    const x = (i) => pad + step * i + step / 2;
    const y = (v) => height - pad - ((height - pad * 2) * v) / top;
    const ns = 'http://www.w3.org/2000/svg';
    const el = (tag, attrs) => { const node = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v)); return node; };
    const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'rollout-chart', role: 'img', 'aria-label': w('chart') });
    svg.append(el('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: 'axis' }));
    series.forEach((b, i) => {
      const bar = el('rect', { x: x(i) - step * 0.35, y: y(b.events), width: step * 0.7, height: Math.max(0, height - pad - y(b.events)), class: 'bar-events' });
      const tip = el('title', {}); tip.textContent = `${time(b.start, t.lang)} · ${w('events')} ${b.events} · ${w('differing')} ${b.differing} · ${w('errors')} ${b.candidateErrors}`;
      bar.append(tip);
      svg.append(bar);
    });
    const line = (key, cls) => {
      svg.append(el('polyline', { points: series.map((b, i) => `${x(i)},${y(b[key])}`).join(' '), class: cls, fill: 'none' }));
      // A dot per minute, so a single minute shows too.
      series.forEach((b, i) => svg.append(el('circle', { cx: x(i), cy: y(b[key]), r: 3, class: `${cls} dot` })));
    };
    line('differing', 'line-differing');
    line('candidateErrors', 'line-errors');
    const label = (text, at, cls) => { const node = el('text', { x: at, y: 12, class: cls }); node.textContent = text; svg.append(node); };
    label(`▮ ${w('events')}`, pad, 'legend-events');
    label(`— ${w('differing')}`, pad + 150, 'legend-differing');
    label(`— ${w('errors')}`, pad + 330, 'legend-errors');
    return h('figure', { class: 'rollout-chart-box' }, svg,
      h('details', {}, h('summary', {}, w('table')), h('table', { class: 'rollout-series' },
        h('thead', {}, h('tr', {}, [w('minute'), w('events'), w('differing'), `${w('errors')} (${w('active')})`, `${w('errors')} (${w('candidate')})`, w('budget')].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, series.map((b) => h('tr', {}, [time(b.start, t.lang), b.events, b.differing, b.activeErrors, b.candidateErrors, b.candidateBudgetOverruns].map((c) => h('td', {}, c))))))));
  }
}

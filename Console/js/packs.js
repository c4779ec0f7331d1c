// The admin's pack workbench: the tenant's active version and history (activate, roll back),
// every pack it may use, and an editor for a version's files — check (every problem at its
// file and line, every fixture case with expected and actual actions), upload as a new
// version, simulate it against the tenant's recent traffic, try it on live traffic in a staged
// rollout (rollout.js), activate it.

import { h, mount } from './dom.js';
import { enc } from './api.js';
import { wordsOf } from './i18n.js';
import { renderRollout } from './rollout.js';

const words = {
  en: { active: 'Active pack', pinned: 'pinned', history: 'History', activate: 'Activate', rollback: 'Roll back to this', packs: 'Packs',
    open: 'Open', shipped: 'shipped', yours: 'this workspace', files: 'Files', check: 'Check and run fixtures', upload: 'Upload as new version',
    newId: 'Pack id', newVersion: 'Version', problems: 'Problems', noProblems: 'No problems: the pack loads and every fixture passes.',
    fixtures: 'Fixtures', passed: 'passed', failed: 'failed', expected: 'expected', actual: 'got', simulate: 'Simulate on recent traffic',
    uploaded: 'Stored {id} {v}.', activated: 'Now active: {id} {v}.', changed: '{n} of {m} events would change', noChange: 'No event would change.',
    onlyActive: 'only now', onlyCandidate: 'only with this version', errors: 'errors', editing: 'Editing', line: 'line', reason: 'why' },
  es: { active: 'Paquete activo', pinned: 'fijado', history: 'Historial', activate: 'Activar', rollback: 'Volver a esta', packs: 'Paquetes',
    open: 'Abrir', shipped: 'incluido', yours: 'este espacio', files: 'Archivos', check: 'Revisar y correr pruebas', upload: 'Subir como versión nueva',
    newId: 'Id del paquete', newVersion: 'Versión', problems: 'Problemas', noProblems: 'Sin problemas: el paquete carga y todas las pruebas pasan.',
    fixtures: 'Pruebas', passed: 'pasa', failed: 'falla', expected: 'esperado', actual: 'obtenido', simulate: 'Simular con el tráfico reciente',
    uploaded: 'Guardado {id} {v}.', activated: 'Activo ahora: {id} {v}.', changed: '{n} de {m} eventos cambiarían', noChange: 'Ningún evento cambiaría.',
    onlyActive: 'solo ahora', onlyCandidate: 'solo con esta versión', errors: 'errores', editing: 'Editando', line: 'línea', reason: 'motivo' },
  vi: { active: 'Gói đang dùng', pinned: 'đã ghim', history: 'Lịch sử', activate: 'Kích hoạt', rollback: 'Quay lại bản này', packs: 'Các gói',
    open: 'Mở', shipped: 'có sẵn', yours: 'không gian này', files: 'Tệp', check: 'Kiểm tra và chạy thử', upload: 'Tải lên phiên bản mới',
    newId: 'Mã gói', newVersion: 'Phiên bản', problems: 'Lỗi', noProblems: 'Không có lỗi: gói tải được và mọi ca thử đều đạt.',
    fixtures: 'Ca thử', passed: 'đạt', failed: 'không đạt', expected: 'mong đợi', actual: 'thực tế', simulate: 'Mô phỏng trên dữ liệu gần đây',
    uploaded: 'Đã lưu {id} {v}.', activated: 'Đang dùng: {id} {v}.', changed: '{n} trên {m} sự kiện sẽ thay đổi', noChange: 'Không sự kiện nào thay đổi.',
    onlyActive: 'chỉ hiện tại', onlyCandidate: 'chỉ với bản này', errors: 'lỗi', editing: 'Đang sửa', line: 'dòng', reason: 'lý do' },
};

export async function renderPacks(container, { api, t, toast, failure, user }) {
  const w = wordsOf(words, t);
  const tenantId = user.tenantId;
  const activeBox = h('section', { class: 'card', id: 'pack-active' });
  const rolloutBox = h('section', { class: 'card', id: 'pack-rollout' });
  const listBox = h('section', { class: 'card', id: 'pack-list' });
  const workBox = h('section', { class: 'workbench', id: 'pack-workbench' });
  mount(container, activeBox, rolloutBox, listBox, workBox);

  let tenant = null;
  async function loadActive() {
    ({ tenant } = await api.get(`/api/v2/tenants/${enc(tenantId)}`));
    const history = (tenant.packHistory || []).slice().reverse();
    mount(activeBox, h('h3', {}, w('active')),
      h('p', { class: 'active-pack' }, h('strong', {}, `${tenant.pack.id} ${tenant.pack.version}`), ' · ', tenant.pack.name, tenant.packPinned ? ` · ${w('pinned')}` : ''),
      history.length ? h('details', { class: 'history' }, h('summary', {}, w('history')),
        h('ol', {}, history.map((entry) => h('li', {},
          h('code', {}, `${entry.packId} ${entry.version}`), ' ', h('span', { class: 'stamp' }, `${entry.reason} · ${entry.by} · ${new Date(entry.at).toLocaleString(t.lang)}`), ' ',
          entry.packId === tenant.pack.id && entry.version === tenant.pack.version ? null
            : h('button', { type: 'button', class: 'rollback', onclick: () => activate(entry.packId, entry.version) }, w('rollback')))))) : null);
    await renderRollout(rolloutBox, { api, t, toast, failure, tenant, changed: loadActive });
  }

  async function activate(packId, version) {
    try {
      await api.put(`/api/v2/tenants/${enc(tenantId)}/pack`, { pack: packId, version });
      toast(w('activated', { id: packId, v: version }), 'ok');
      await loadActive();
    } catch (error) {
      failure(error);
    }
  }

  async function loadList() {
    const { packs } = await api.get('/api/v2/packs');
    mount(listBox, h('h3', {}, w('packs')), h('ul', { class: 'pack-rows' }, packs.map((pack) => {
      const select = h('select', { 'aria-label': `${pack.id} ${w('newVersion')}`, class: 'pack-version' }, pack.versions.map((v) => h('option', { value: v }, v)));
      return h('li', { class: 'pack-row', dataset: { pack: pack.id } },
        h('span', { class: 'name' }, pack.name), h('code', {}, pack.id), h('span', { class: 'stamp' }, `${pack.locale} · ${pack.owner ? w('yours') : w('shipped')}`),
        select,
        h('button', { type: 'button', class: 'open-pack', onclick: () => openVersion(pack, select.value).catch(failure) }, w('open')),
        h('button', { type: 'button', onclick: () => activate(pack.id, select.value) }, w('activate')));
    })));
  }

  async function openVersion(pack, version) {
    const detail = await api.get(`/api/v2/packs/${enc(pack.id)}/versions/${enc(version)}`);
    const files = { ...detail.files };
    const ownId = pack.owner === tenantId;
    const idInput = h('input', { id: 'pack-new-id', value: ownId ? pack.id : `${tenantId}-${pack.id}`.slice(0, 64), 'aria-label': w('newId') });
    const versionInput = h('input', { id: 'pack-new-version', value: ownId ? bump(version) : version, 'aria-label': w('newVersion') });
    const fileList = h('ul', { class: 'file-list' });
    const editor = lineEditor();
    const results = h('div', { class: 'pack-results', 'aria-live': 'polite' });
    const simulation = h('div', { class: 'pack-simulation', 'aria-live': 'polite' });
    let current = files['rules/triage.lua'] !== undefined ? 'rules/triage.lua' : Object.keys(files).sort()[0];
    let stored = null;

    function showFile(path, line) {
      files[current] = editor.value();
      current = path;
      editor.load(files[path], path);
      for (const item of fileList.querySelectorAll('button')) item.classList.toggle('active', item.dataset.path === path);
      if (line) editor.goTo(line);
    }
    function renderFiles(bad = new Set()) {
      mount(fileList, Object.keys(files).sort().map((path) => h('li', {},
        h('button', { type: 'button', class: `file${path === current ? ' active' : ''}${bad.has(path) ? ' bad' : ''}`, dataset: { path }, onclick: () => showFile(path) }, path))));
    }
    function bundle() {
      files[current] = editor.value();
      const out = { ...files };
      out['pack.yaml'] = setTop(setTop(out['pack.yaml'], 'id', idInput.value.trim()), 'version', `"${versionInput.value.trim()}"`);
      return { files: out };
    }
    async function check() {
      mount(results, h('p', { class: 'loading' }, '…'));
      try {
        const report = await api.post('/api/v2/packs/check', bundle());
        renderReport(report);
        return report;
      } catch (error) {
        failure(error);
        return null;
      }
    }
    function renderReport(report) {
      const badFiles = new Set(report.problems.map((p) => p.file));
      renderFiles(badFiles);
      const here = report.problems.filter((p) => p.file === current && p.line).map((p) => p.line);
      editor.mark(here);
      if (here.length) editor.goTo(here[0]);
      mount(results,
        h('h4', {}, w('problems')),
        report.problems.length ? h('ul', { class: 'problems' }, report.problems.map((p) => h('li', {},
          h('button', { type: 'button', class: 'link problem', onclick: () => { showFile(p.file, p.line); editor.mark([p.line]); } },
            p.line ? `${p.file}:${p.line}` : p.file), ' ', h('span', { class: 'message' }, p.message))))
          : h('p', { class: 'ok-text' }, w('noProblems')),
        report.cases.length ? h('h4', {}, `${w('fixtures')} (${report.cases.filter((c) => c.passed).length}/${report.cases.length})`) : null,
        report.cases.length ? h('table', { class: 'fixtures' }, h('tbody', {}, report.cases.map((c) => h('tr', { class: c.passed ? 'pass' : 'fail' },
          h('td', {}, c.passed ? `✓ ${w('passed')}` : `✗ ${w('failed')}`),
          h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => showFile(c.file, c.line) }, `${c.file}${c.line ? `:${c.line}` : ''}`), ' ', c.name),
          h('td', {}, c.passed ? '' : [h('div', {}, `${w('expected')}: `, h('code', {}, describe(c.expected))),
            h('div', {}, `${w('actual')}: `, h('code', {}, c.actual ? describe(c.actual) : (c.message || '')))]))))) : null);
    }
    async function upload() {
      const report = await check();
      if (!report || !report.valid) return;
      try {
        const { version: summary } = await api.post('/api/v2/packs', bundle());
        stored = summary;
        toast(w('uploaded', { id: summary.packId, v: summary.version }), 'ok');
        actions.append(simulateButton, activateButton);
        await loadList();
      } catch (error) {
        failure(error);
      }
    }
    async function simulate() {
      if (!stored) return;
      mount(simulation, h('p', { class: 'loading' }, '…'));
      try {
        const report = await api.post(`/api/v2/packs/${enc(stored.packId)}/versions/${enc(stored.version)}/simulate`, { limit: 200 });
        const changed = report.results.filter((r) => r.changed);
        mount(simulation, h('h4', {}, `${w('simulate')}: ${report.activeVersion} → ${report.candidateVersion}`),
          h('p', { class: 'sim-summary' }, changed.length ? w('changed', { n: report.changed, m: report.events }) : w('noChange')),
          changed.length ? h('table', { class: 'simulation' }, h('tbody', {}, changed.map((r) => h('tr', {},
            h('td', {}, h('code', {}, r.ticketId)), h('td', {}, r.event),
            h('td', {}, r.onlyActive.length ? [`${w('onlyActive')}: `, h('code', {}, r.onlyActive.join(', '))] : ''),
            h('td', {}, r.onlyCandidate.length ? [`${w('onlyCandidate')}: `, h('code', {}, r.onlyCandidate.join(', '))] : ''),
            h('td', {}, r.candidateErrors.length ? [`${w('errors')}: `, r.candidateErrors.join('; ')] : ''))))) : null);
        simulation.scrollIntoView({ block: 'start' });
      } catch (error) {
        failure(error);
      }
    }
    const simulateButton = h('button', { type: 'button', id: 'pack-simulate', onclick: () => simulate() }, w('simulate'));
    const activateButton = h('button', { type: 'button', id: 'pack-activate', class: 'primary', onclick: () => stored && activate(stored.packId, stored.version) }, w('activate'));
    const actions = h('div', { class: 'actions' },
      h('label', { class: 'field compact', for: 'pack-new-id' }, h('span', {}, w('newId')), idInput),
      h('label', { class: 'field compact', for: 'pack-new-version' }, h('span', {}, w('newVersion')), versionInput),
      h('button', { type: 'button', id: 'pack-check', onclick: () => check() }, w('check')),
      h('button', { type: 'button', id: 'pack-upload', class: 'primary', onclick: () => upload() }, w('upload')));
    renderFiles();
    mount(workBox, h('div', { class: 'card' },
      h('h3', {}, `${w('editing')} ${pack.id} ${version}`), actions,
      h('div', { class: 'pack-editor' }, h('nav', { 'aria-label': w('files') }, fileList), editor.element),
      results, simulation));
    editor.load(files[current], current);
    workBox.scrollIntoView({ block: 'start' });
  }

  try {
    await Promise.all([loadActive(), loadList()]);
  } catch (error) {
    failure(error);
  }
}

/** A textarea with line numbers: the gutter follows the scroll and marks lines at fault. */
function lineEditor() {
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const area = h('textarea', { class: 'code', id: 'pack-file', spellcheck: 'false', wrap: 'off', 'aria-label': 'file' });
  const element = h('div', { class: 'line-editor' }, gutter, area);
  let marked = new Set();
  function numbers() {
    const count = area.value.split('\n').length;
    mount(gutter, Array.from({ length: count }, (_, i) => h('div', { class: marked.has(i + 1) ? 'bad' : '' }, String(i + 1))));
    gutter.scrollTop = area.scrollTop;
  }
  area.addEventListener('input', () => { marked = new Set(); numbers(); });
  area.addEventListener('scroll', () => { gutter.scrollTop = area.scrollTop; });
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Tab' && !event.shiftKey && !event.ctrlKey && !event.altKey) {
      // Two spaces; Esc then Tab leaves the editor (the keyboard is never trapped).
      if (area.dataset.escaped === '1') { area.dataset.escaped = ''; return; }
      event.preventDefault();
      area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end');
    } else if (event.key === 'Escape') area.dataset.escaped = '1';
  });
  return {
    element,
    value: () => area.value,
    load(text, path) {
      area.value = text || '';
      area.setAttribute('aria-label', path);
      area.dataset.path = path;
      marked = new Set();
      numbers();
      area.scrollTop = 0;
    },
    mark(lines) {
      marked = new Set(lines);
      numbers();
    },
    goTo(line) {
      const lines = area.value.split('\n');
      const start = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
      area.focus();
      area.setSelectionRange(start, start + (lines[line - 1] || '').length);
      const height = parseFloat(getComputedStyle(area).lineHeight) || 18;
      area.scrollTop = Math.max(0, (line - 4) * height);
      gutter.scrollTop = area.scrollTop;
    },
  };
}

function setTop(yaml, key, value) {
  const pattern = new RegExp(`^${key}:.*$`, 'm');
  return pattern.test(yaml) ? yaml.replace(pattern, `${key}: ${value}`) : `${key}: ${value}\n${yaml}`;
}

function bump(version) {
  const parts = String(version).split('.').map((p) => Number.parseInt(p, 10));
  if (parts.length !== 3 || parts.some(Number.isNaN)) return `${version}.1`;
  return `${parts[0]}.${parts[1]}.${parts[2] + 1}`;
}

function describe(actions) {
  return `[${(actions || []).map((a) => `{${Object.entries(a).sort().map(([k, v]) => `${k}: ${v}`).join(', ')}}`).join(', ')}]`;
}

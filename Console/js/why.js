// The ticket's "why": for each change, the actions that decided it and the rule handlers that
// ran (outcome, time, instructions, pack version), from GET /tickets/:id/trace; for admins,
// replaying the ticket's recorded events through another pack version.

import { h, mount, time } from './dom.js';
import { enc } from './api.js';
import { state, t, failure } from './state.js';

export function renderWhy(ticket) {
  return h('details', { class: 'why', ontoggle: (event) => { if (event.target.open) loadWhy(ticket.ticketId, event.target); } },
    h('summary', {}, t('why')), h('p', { class: 'loading' }, t('loading')));
}

export async function loadWhy(ticketId, container) {
  try {
    const trace = await state.api.get(`/api/v2/tickets/${enc(ticketId)}/trace`);
    mount(container, h('summary', {}, t('why')),
      trace.changes.length ? h('ol', { class: 'why-list' }, trace.changes.map(renderChange)) : h('p', { class: 'hint' }, t('noAudit')),
      state.user?.role === 'admin' ? renderReplay(ticketId, trace.activePack) : null);
  } catch (error) {
    mount(container, h('summary', {}, t('why')), h('p', { class: 'form-error' }, error.message));
  }
}

function renderChange(change) {
  const head = [change.ticketVersion ? `v${change.ticketVersion}` : null, time(change.at, state.t.lang), change.events.join(', ')].filter(Boolean).join(' · ');
  const decided = change.decisions.length
    ? h('ul', { class: 'decisions' }, change.decisions.map((d) => h('li', {},
      h('strong', {}, d.action), ' ← ', h('code', {}, d.rule), h('span', { class: 'stamp' }, ` ${d.event} · ${d.pack}`))))
    : h('p', { class: 'hint' }, t('nothingDecided'));
  const handlers = h('details', { class: 'handlers' }, h('summary', {}, t('handlersRan', { n: change.handlers.length })),
    h('ul', {}, change.handlers.map((run) => h('li', { class: `run ${run.outcome}` },
      h('code', {}, run.rule), ' ', h('span', { class: `badge outcome-${run.outcome}` }, t(`outcomes.${run.outcome}`)),
      run.role ? [' ', h('span', { class: `badge role-${run.role}` }, t(`roles.${run.role}`))] : null,
      h('span', { class: 'stamp' }, ` ${run.event}${run.depth ? ` (${t('followUp')})` : ''} · ${run.pack} · ${run.durationMicros} µs`
        + (run.instructions ? ` · ${t('instructions', { n: run.instructions.toLocaleString(state.t.lang) })}` : '')),
      run.rejected.length ? h('p', {}, `${t('rejected')}: `, run.rejected.map((r) => `${r.action} (${r.reason})`).join(', ')) : null,
      run.error ? h('p', { class: 'form-error' }, `${t('error')}: ${run.error}`) : null))));
  return h('li', { class: 'why-change' }, h('p', { class: 'why-head' }, head), decided, handlers);
}

/** Admins: run this ticket's recorded events through another version of the tenant's pack. */
function renderReplay(ticketId, activePack) {
  const [packId] = activePack.split('@');
  const select = h('select', { 'aria-label': t('replayVersion'), class: 'replay-version' });
  const result = h('div', { class: 'replay-result', role: 'status', 'aria-live': 'polite' });
  state.api.get('/api/v2/packs').then(({ packs }) => {
    const pack = packs.find((p) => p.id === packId);
    mount(select, (pack?.versions || []).map((v) => h('option', { value: v, selected: `${packId}@${v}` === activePack }, v)));
  }).catch(failure);
  async function replay() {
    mount(result, h('p', { class: 'loading' }, t('loading')));
    try {
      const report = await state.api.post(`/api/v2/tickets/${enc(ticketId)}/replay`, { version: select.value });
      const changed = report.results.filter((r) => r.changed || r.candidateErrors.length);
      mount(result,
        h('p', { class: 'replay-summary' }, t('replaySummary', { a: report.activeVersion, c: report.candidateVersion, n: report.changed, m: report.events })),
        changed.length ? h('table', { class: 'simulation' },
          h('thead', {}, h('tr', {}, h('th', {}, t('event')), h('th', {}, t('onlyActive')), h('th', {}, t('onlyCandidate')), h('th', {}, t('error')))),
          h('tbody', {}, changed.map((r) => h('tr', {},
            h('td', {}, `${r.event} · ${time(r.at, state.t.lang)}`), h('td', {}, h('code', {}, r.onlyActive.join(', '))),
            h('td', {}, h('code', {}, r.onlyCandidate.join(', '))), h('td', {}, r.candidateErrors.join('; ')))))) : null);
    } catch (error) {
      mount(result, h('p', { class: 'form-error' }, error.message));
    }
  }
  return h('section', { class: 'replay' }, h('h4', {}, t('replay')),
    h('div', { class: 'actions' }, select, h('button', { type: 'button', class: 'replay-run', onclick: () => replay() }, t('replayRun'))), result);
}

// The ticket's side panel: facts, the edit form, SLA clocks, rules' timers, description, fields,
// attachments, notes and why (the rule trace, `why.js`).

import { h, mount, duration, time } from './dom.js';
import { enc } from './api.js';
import { state, t, failure, agentName, statusLabel, categoryLabel, isOpen } from './state.js';
import { normalize, renderList, place } from './queue.js';
import { renderTicket } from './ticket.js';
import { renderWhy } from './why.js';

export function renderSide(ticket) {
  const rows = [
    [t('status'), statusLabel(ticket.status)], [t('priority'), t(`priorities.${ticket.priority}`)],
    [t('category'), categoryLabel(ticket.category)], [t('queue'), ticket.queue || '—'],
    [t('customerLabel'), ticket.customerId], [t('tags'), (ticket.tags || []).join(', ') || '—'],
  ];
  const fields = Object.entries(ticket.fields || {});
  const notes = (ticket.notes || []).slice().reverse();
  return h('aside', { class: 'side' },
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    isOpen(ticket) ? renderEdit(ticket) : null,
    renderSLA(ticket),
    renderTimers(ticket),
    ticket.description ? h('section', {}, h('h3', {}, t('description')), h('p', { class: 'content' }, ticket.description)) : null,
    fields.length ? h('section', {}, h('h3', {}, t('fields')), h('dl', { class: 'facts' }, fields.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))) : null,
    (ticket.attachments || []).length ? h('section', {}, h('h3', {}, t('attachments')),
      h('ul', {}, ticket.attachments.map((a) => h('li', {}, h('a', { href: a.url, rel: 'noopener noreferrer nofollow', target: '_blank' }, a.url))))) : null,
    notes.length ? h('section', {}, h('h3', {}, t('notes')), h('ul', { class: 'notes' }, notes.map((note) =>
      h('li', { class: `note${note.isInternal ? ' internal' : ''}` },
        h('span', { class: 'badge' }, note.isInternal ? t('internal') : t('public')), ' ',
        h('span', { class: 'sender' }, note.authorRole === 'customer' ? state.t.words.customerNoun : agentName(note.authorId)),
        h('p', { class: 'content' }, note.content), h('span', { class: 'stamp' }, time(note.timestamp, state.t.lang)))))) : null,
    renderWhy(ticket));
}

/** Priority, category and tags, changed with one PUT (the rules see the change). */
export function renderEdit(ticket) {
  const priority = h('select', { id: 'edit-priority', 'aria-label': t('priority') },
    state.config.priorities.map((p) => h('option', { value: p, selected: p === ticket.priority }, t(`priorities.${p}`))));
  const category = h('select', { id: 'edit-category', 'aria-label': t('category') },
    state.config.categories.map((c) => h('option', { value: c.id, selected: c.id === ticket.category }, categoryLabel(c.id))));
  const tags = h('input', { id: 'edit-tags', 'aria-label': t('tags'), value: (ticket.tags || []).join(', ') });
  return h('details', { class: 'edit' }, h('summary', {}, `${t('priority')} · ${t('category')} · ${t('tags')}`),
    h('form', { class: 'edit-form', onsubmit: async (event) => {
      event.preventDefault();
      const body = {};
      if (priority.value !== ticket.priority) body.priority = priority.value;
      if (category.value !== ticket.category) body.category = category.value;
      const list = tags.value.split(',').map((tag) => tag.trim()).filter(Boolean);
      if (list.join(',') !== (ticket.tags || []).join(',')) body.tags = list;
      if (!Object.keys(body).length) return;
      try {
        const answer = await state.api.put(`/api/v2/tickets/${enc(ticket.ticketId)}`, body);
        state.current.ticket = answer.ticket;
        place(normalize(answer.ticket));
        renderTicket({ keepComposer: true });
        renderList();
      } catch (error) {
        failure(error);
      }
    } }, priority, category, tags, h('button', { type: 'submit' }, t('save'))));
}

export function renderSLA(ticket) {
  const clocks = ticket.sla?.clocks || [];
  if (!clocks.length) return null;
  const names = { firstResponse: t('firstResponse'), resolution: t('resolution'), nextReply: t('nextReply') };
  const items = clocks.map((clock) => {
    let state_ = 'running';
    let text;
    if (clock.met === true || (clock.stoppedAt && !clock.breachedAt)) {
      state_ = 'met';
      text = t('met');
    } else if (clock.breachedAt || (clock.dueAt && new Date(clock.dueAt) < new Date())) {
      state_ = 'breached';
      text = clock.dueAt ? t('overdue', { t: duration(Date.now() - new Date(clock.dueAt).getTime(), state.t.lang) }) : t('breached');
    } else {
      // The server says what is left when the ticket is read (in business time when the clock
      // keeps business hours); an all-day clock counts down on screen from there.
      const readAt = state.current?.readAt ?? Date.now();
      const remaining = clock.remainingSeconds ?? clock.targetSeconds - clock.consumedSeconds;
      const running = clock.since && !clock.pausedSince && !clock.businessHours;
      const left = remaining * 1000 - (running ? Date.now() - readAt : 0);
      if (clock.warnedAt || (clock.warnAt && new Date(clock.warnAt) < new Date())) state_ = 'warning';
      text = t('left', { t: duration(left, state.t.lang) }) + (clock.businessHours ? ` (${t('businessTime').toLocaleLowerCase(state.t.lang)})` : '');
    }
    return h('li', { class: `clock ${state_}` }, h('span', { class: 'name' }, names[clock.kind] || clock.kind), h('span', { class: 'left' }, text),
      clock.dueAt ? h('span', { class: 'stamp' }, time(clock.dueAt, state.t.lang)) : null);
  });
  return h('section', { class: 'sla' }, h('h3', {}, t('sla')), h('ul', {}, items));
}

/** The rules' pending timers: name, when each comes due, and what set it. */
export function renderTimers(ticket) {
  const timers = (ticket.timers || []).slice().sort((a, b) => new Date(a.dueAt) - new Date(b.dueAt));
  if (!timers.length) return null;
  const items = timers.map((timer) => {
    const left = new Date(timer.dueAt).getTime() - Date.now();
    const when = left > 0 ? t('timerIn', { t: duration(left, state.t.lang) }) : t('timerDue');
    const notes = [timer.business ? t('businessTime') : null, timer.keep ? t('timerKept') : null].filter(Boolean);
    return h('li', { class: 'timer' }, h('code', { class: 'name' }, timer.name), ' ', h('span', { class: 'left' }, when),
      notes.length ? h('span', { class: 'hint' }, ` (${notes.join(', ')})`) : null,
      h('span', { class: 'stamp' }, `${time(timer.dueAt, state.t.lang)} · ${t('timerBy', { rule: timer.setBy })}`));
  });
  return h('section', { class: 'timers' }, h('h3', {}, t('timers')), h('ul', {}, items));
}

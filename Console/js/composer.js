// The composer under a ticket's conversation: a public reply (with typing events) or an
// internal note.

import { h, throttle, sendOnEnter } from './dom.js';
import { enc } from './api.js';
import { state, t, failure } from './state.js';
import { refreshTicket, receiveMessage } from './ticket.js';

export function renderComposer(ticket, draft, mode) {
  const area = h('textarea', { id: 'composer-text', rows: 3, 'aria-label': mode === 'note' ? t('internalNote') : t('reply'),
    placeholder: mode === 'note' ? t('notePlaceholder') : t('replyPlaceholder'), value: draft || '' });
  const stopTyping = () => state.live?.typing(ticket.ticketId, false);
  const typing = throttle(() => { if (mode === 'reply') state.live?.typing(ticket.ticketId, true); }, 3000);
  area.addEventListener('input', typing);
  area.addEventListener('blur', stopTyping);
  const send = async () => {
    const content = area.value.trim();
    if (!content) return;
    area.disabled = true;
    try {
      if (mode === 'note') {
        await state.api.post(`/api/v2/tickets/${enc(ticket.ticketId)}/notes`, { content, isInternal: true });
        area.value = '';
        await refreshTicket();
      } else {
        const answer = await state.api.post(`/api/v2/tickets/${enc(ticket.ticketId)}/messages`, { content });
        area.value = '';
        stopTyping();
        receiveMessage(answer.message);
      }
    } catch (error) {
      failure(error);
    } finally {
      area.disabled = false;
      area.focus();
    }
  };
  sendOnEnter(area, send);
  const switcher = (value, label) => h('button', { type: 'button', role: 'tab', class: `mode${mode === value ? ' active' : ''}`, 'aria-selected': mode === value ? 'true' : 'false',
    onclick: () => {
      const parent = area.closest('.composer');
      const next = renderComposer(ticket, area.value, value);
      parent.replaceWith(next);
      next.querySelector('textarea').focus();
    } }, label);
  return h('form', { class: `composer ${mode}`, dataset: { mode }, onsubmit: (event) => { event.preventDefault(); send(); } },
    h('div', { class: 'modes', role: 'tablist' }, switcher('reply', t('publicReply')), switcher('note', t('internalNote'))),
    area, h('button', { type: 'submit', class: 'primary' }, t('send')));
}

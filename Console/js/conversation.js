// What the agent's ticket view and the customer's chat both show of a conversation: the
// messages (the reader's own side on the right, with read receipts), the typing line, status
// labels and the live connection's pill. Every value goes on the page as text (dom.js).

import { h, time } from './dom.js';

/** The status's label in the reader's language. */
export function statusLabel(config, t, id) {
  const status = config.workflow.statuses.find((s) => s.id === id);
  if (!status) return id;
  return t.lang === 'en' ? status.labelEn || status.label : status.label;
}

/** Whether the ticket is neither resolved nor closed. */
export function isOpen(config, ticket) {
  const flow = config.workflow;
  return Boolean(ticket) && ticket.status !== flow.resolved && ticket.status !== flow.closed;
}

/**
 * One message as `reader` ('staff' or 'customer') sees it: their side's messages are 'mine'
 * (with a sent/read receipt), the other side's 'theirs', Docket's own 'system'. Staff see who
 * wrote each message, several of them sharing a conversation; a customer sees the agent's name.
 */
export function messageView(message, t, reader) {
  const customerWrote = message.senderType === 'customer';
  const kind = message.senderType === 'system' ? 'system' : customerWrote === (reader === 'customer') ? 'mine' : 'theirs';
  const showSender = kind === 'theirs' || (kind === 'mine' && reader === 'staff');
  const fallback = reader === 'customer' ? t.words.agentNoun : message.senderId;
  const attachments = (message.attachments || []).map((url) => h('a', { href: url, rel: 'noopener noreferrer nofollow', target: '_blank', class: 'attachment' }, url));
  // A message that came by mail shows staff its envelope (as text): sender → recipients, subject, files.
  // The files kept are downloads (the server sends them as such, never to be shown inline);
  // the others are only named.
  const kept = (message.mail && message.mail.attachments) || [];
  const keptNames = new Set(kept.map((file) => file.name));
  const unkept = ((message.mail && message.mail.files) || []).filter((name) => !keptNames.has(name));
  const mail = message.mail && reader === 'staff'
    ? h('span', { class: 'mail-envelope' }, `✉ ${message.mail.from} → ${[...(message.mail.to || []), ...(message.mail.cc || [])].join(', ')}`,
      message.mail.subject ? ` · «${message.mail.subject}»` : '',
      kept.length || unkept.length ? ' · 📎 ' : '',
      ...kept.map((file) => h('a', { href: `/api/v2/files/${encodeURIComponent(file.id)}`, download: file.name, class: 'mail-file', rel: 'noopener noreferrer' },
        `${file.name} (${Math.max(1, Math.round(file.size / 1024))} KB)`)),
      unkept.length ? ` ${unkept.join(', ')}` : '')
    : null;
  return h('li', { class: `msg ${kind}`, dataset: { seq: message.seq } },
    showSender ? h('span', { class: 'sender' }, message.senderName || fallback) : null,
    mail,
    h('p', { class: 'content' }, message.content),
    attachments.length ? h('div', { class: 'attachments' }, attachments) : null,
    h('span', { class: 'stamp' }, time(message.createdAt, t.lang),
      kind === 'mine' ? h('span', { class: 'receipt' }, message.isRead ? t('read') : t('sent')) : null));
}

/** Adds a message's view to the list; scrolls to it when `follow` or the reader was at the bottom. */
export function appendMessage(list, view, follow) {
  if (!list) return;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.append(view);
  if (nearBottom || follow) list.scrollTop = list.scrollHeight;
}

/** The reader's own messages now show as read. */
export function showReceiptsRead(container, t) {
  for (const el of container.querySelectorAll('.msg.mine .receipt')) el.textContent = t('read');
}

/**
 * Shows or hides the other side's typing line; it hides itself 8 s after the last typing
 * event (a lost stop_typing). `holder` keeps the flag and the timer.
 */
export function showTyping(holder, element, on, text) {
  holder.typing = on;
  if (element) {
    element.hidden = !on;
    element.textContent = on ? text : '';
  }
  clearTimeout(holder.typingTimer);
  if (on) holder.typingTimer = setTimeout(() => showTyping(holder, element, false, text), 8000);
}

/** The live connection's pill: connecting, live, offline (reconnecting), signed out. */
export function showConnection(pill, value, t) {
  if (!pill) return;
  pill.className = `pill ${value}`;
  pill.textContent = { connecting: t('connecting'), live: t('live'), reconnecting: t('offline'), signedOut: t('signIn') }[value] || value;
}

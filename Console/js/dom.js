// Building the page without ever parsing text as HTML: every string a person typed goes in as
// a text node (textContent), links only when they are http(s). Customer content is hostile.

/** h('div', {class: 'x', onclick: fn, 'aria-label': '…'}, child, 'text', [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else if (key === 'href') el.setAttribute('href', safeUrl(value));
    else if (key === 'checked' || key === 'disabled' || key === 'selected' || key === 'hidden') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Only http(s) and same-page links; anything else (javascript:, data:…) becomes inert. */
export function safeUrl(value) {
  const text = String(value || '');
  if (text.startsWith('#') || text.startsWith('/')) return text.startsWith('//') ? '#' : text;
  try {
    const url = new URL(text, location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : '#';
  } catch {
    return '#';
  }
}

/** A labelled form control: the label names it for screen readers and clicks. */
export function field(label, control) {
  return h('label', { class: 'field', for: control.id }, h('span', {}, label), control);
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** "2 min", "3 h" … from milliseconds, in the page's locale. */
export function duration(ms, locale) {
  const negative = ms < 0;
  let seconds = Math.abs(ms) / 1000;
  const units = [['day', 86400], ['hour', 3600], ['minute', 60]];
  let text = null;
  for (const [unit, size] of units) {
    if (seconds >= size) {
      const value = Math.floor(seconds / size);
      text = new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' }).format(value);
      break;
    }
  }
  text = text || new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', unitDisplay: 'short' }).format(Math.floor(seconds));
  return negative ? `-${text}` : text;
}

export function time(iso, locale) {
  if (!iso) return '';
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return new Intl.DateTimeFormat(locale, today ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** Calls fn at most once per `ms`. */
export function throttle(fn, ms) {
  let last = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last >= ms) {
      last = now;
      fn(...args);
    }
  };
}

/** Enter sends, Shift+Enter breaks the line. */
export function sendOnEnter(area, send) {
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
}

// Charts drawn as SVG by our own code (no chart library: the console reaches no package
// registry and its CSP allows only its own files). Every chart comes with the same figures as
// an HTML table for keyboards and screen readers, and every bar or point is a button: a click,
// Enter or Space picks it (the reports open the tickets behind it). Labels are text nodes.

import { h } from './dom.js';

const ns = 'http://www.w3.org/2000/svg';

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(ns, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** A round upper bound for an axis holding `max`. */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/**
 * chart({ kind: 'bars' | 'lines', title, categories: [label], series: [{ name, values: [number|null] }],
 *         stacked, format(value) → text, onPick(categoryIndex, seriesIndex), tableLabel, showTable })
 * Answers a <figure> with the SVG, its legend and a table view toggled by a button.
 */
export function chart(options) {
  const { kind = 'bars', title, categories, series, stacked = false, format = (v) => String(v), onPick, words } = options;
  const n = categories.length;
  const pad = { left: 52, right: 12, top: 14, bottom: 46 };
  // A chart fits `room` pixels (half of that beside another), scrolling sideways only when its
  // buckets would be narrower than 16 px.
  const room = Math.max(300, Math.min(options.room || 1100, (window.innerWidth || 1280) - 60));
  const slot = Math.max(16, Math.min(120, Math.floor((room - 64) / Math.max(1, n))));
  const width = Math.max(300, pad.left + pad.right + slot * n);
  const height = 240;
  const plotH = height - pad.top - pad.bottom;
  const totals = categories.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const peak = stacked ? Math.max(0, ...totals) : Math.max(0, ...series.flatMap((s) => s.values.map((v) => v || 0)));
  const top = niceMax(peak);
  const y = (value) => pad.top + plotH - (plotH * value) / top;
  const x = (i) => pad.left + slot * i;

  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: `chart chart-${kind}`, role: 'group', 'aria-label': title });
  svg.append(el('title', {}, title));
  // Grid and the value axis.
  for (let step = 0; step <= 4; step += 1) {
    const value = (top * step) / 4;
    svg.append(el('line', { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: step === 0 ? 'axis' : 'grid' }));
    svg.append(el('text', { x: pad.left - 6, y: y(value) + 4, class: 'tick', 'text-anchor': 'end' }, format(value, true)));
  }
  // Category labels, thinned so they never overlap.
  const every = Math.max(1, Math.ceil(58 / slot));
  categories.forEach((label, i) => {
    if (i % every !== 0) return;
    svg.append(el('text', { x: x(i) + slot / 2, y: height - pad.bottom + 16, class: 'tick', 'text-anchor': 'middle' }, label));
  });

  const pick = (node, i, s, label) => {
    node.setAttribute('tabindex', '0');
    node.setAttribute('role', 'button');
    node.setAttribute('aria-label', label);
    node.append(el('title', {}, label));
    if (!onPick) return;
    node.addEventListener('click', () => onPick(i, s));
    node.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        onPick(i, s);
      }
    });
  };
  const describe = (i, s) => `${categories[i]} · ${series[s].name}: ${format(series[s].values[i] ?? 0)}`;

  if (kind === 'bars') {
    const inner = slot * 0.78;
    const barW = stacked ? inner : inner / Math.max(1, series.length);
    categories.forEach((_, i) => {
      let base = 0;
      series.forEach((s, k) => {
        const value = s.values[i] || 0;
        if (value <= 0 && stacked) return;
        const x0 = x(i) + (slot - inner) / 2 + (stacked ? 0 : barW * k);
        const y0 = stacked ? y(base + value) : y(value);
        const bar = el('rect', {
          x: x0, y: y0, width: Math.max(1, barW - 1), height: Math.max(value > 0 ? 1 : 0, (stacked ? y(base) : y(0)) - y0),
          class: `mark s${k % 8}`,
        });
        bar.dataset.bucket = String(i);
        bar.dataset.series = String(k);
        pick(bar, i, k, describe(i, k));
        svg.append(bar);
        base += value;
      });
    });
  } else {
    series.forEach((s, k) => {
      const points = s.values.map((v, i) => (v === null || v === undefined ? null : [x(i) + slot / 2, y(v)]));
      let run = [];
      const flush = () => {
        if (run.length > 1) svg.append(el('polyline', { points: run.map((p) => p.join(',')).join(' '), class: `line s${k % 8}`, fill: 'none' }));
        run = [];
      };
      points.forEach((p) => (p ? run.push(p) : flush()));
      flush();
      points.forEach((p, i) => {
        if (!p) return;
        const dot = el('circle', { cx: p[0], cy: p[1], r: 4, class: `mark dot s${k % 8}` });
        dot.dataset.bucket = String(i);
        dot.dataset.series = String(k);
        pick(dot, i, k, describe(i, k));
        svg.append(dot);
      });
    });
  }

  const legend = series.length > 1
    ? h('ul', { class: 'legend' }, series.map((s, k) => h('li', {}, h('span', { class: `swatch s${k % 8}`, 'aria-hidden': 'true' }), s.name)))
    : null;
  const table = h('table', { class: 'chart-table', hidden: !options.showTable },
    h('caption', {}, title),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, options.categoryHeader || ''), series.map((s) => h('th', { scope: 'col' }, s.name)))),
    h('tbody', {}, categories.map((label, i) => h('tr', {},
      h('th', { scope: 'row' }, label),
      series.map((s, k) => h('td', {}, onPick && (s.values[i] || 0) > 0
        ? h('button', { type: 'button', class: 'link', onclick: () => onPick(i, k), 'aria-label': describe(i, k) }, format(s.values[i]))
        : format(s.values[i] ?? 0)))))));
  const scroll = h('div', { class: 'chart-scroll', hidden: Boolean(options.showTable) });
  scroll.append(svg);
  const toggle = h('button', { type: 'button', class: 'link table-toggle', 'aria-pressed': options.showTable ? 'true' : 'false' },
    options.showTable ? words.chartView : words.tableView);
  toggle.addEventListener('click', () => {
    const showing = table.hidden;
    table.hidden = !showing;
    scroll.hidden = showing;
    toggle.textContent = showing ? words.chartView : words.tableView;
    toggle.setAttribute('aria-pressed', showing ? 'true' : 'false');
  });
  return h('figure', { class: 'report-chart' }, h('figcaption', {}, h('span', {}, title), toggle), scroll, legend, table);
}

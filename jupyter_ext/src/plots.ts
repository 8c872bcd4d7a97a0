/**
 * Small SVG plots for result cards: grouped bars for a shifted feature's bins,
 * precision/recall against the decision threshold, and a confusion matrix.
 */
import { el, formatValue } from './format';

const SVG = 'http://www.w3.org/2000/svg';
export const COLORS = { reference: '#8c959f', current: '#0969da', precision: '#8250df', recall: '#bf3989' };

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  return node;
}

function text(x: number, y: number, content: string, attrs: Record<string, string | number> = {}): SVGElement {
  const node = svg('text', { x, y, 'font-size': 10, fill: 'currentColor', ...attrs });
  node.textContent = content;
  return node;
}

function legend(root: SVGElement, x: number, y: number, items: [string, string][]): void {
  let offset = x;
  for (const [label, color] of items) {
    root.appendChild(svg('rect', { x: offset, y: y - 8, width: 10, height: 10, fill: color }));
    root.appendChild(text(offset + 14, y, label));
    offset += 20 + label.length * 6;
  }
}

/** Reference vs current share per bin, as grouped bars. */
export function binsPlot(
  title: string,
  labels: string[],
  reference: number[],
  current: number[],
  width = 420,
  height = 150
): SVGElement {
  const root = svg('svg', { width, height, class: 'mlcheck-plot', role: 'img' });
  root.setAttribute('aria-label', title);
  const top = 22;
  const bottom = 18;
  const left = 34;
  const plotHeight = height - top - bottom;
  const plotWidth = width - left - 6;
  const n = Math.max(labels.length, 1);
  const peak = Math.max(...reference, ...current, 1e-9);
  const slot = plotWidth / n;
  const bar = Math.max(1, slot / 2 - 1);
  root.appendChild(text(left, 11, title, { 'font-weight': 600 }));
  legend(root, width - 150, 11, [
    ['reference', COLORS.reference],
    ['current', COLORS.current]
  ]);
  root.appendChild(svg('line', { x1: left, y1: top + plotHeight, x2: width - 6, y2: top + plotHeight, stroke: '#d0d7de' }));
  root.appendChild(text(2, top + 8, formatValue(peak, 2)));
  root.appendChild(text(2, top + plotHeight, '0'));
  labels.forEach((label, i) => {
    const x = left + i * slot;
    const pairs: [number, string][] = [
      [reference[i] ?? 0, COLORS.reference],
      [current[i] ?? 0, COLORS.current]
    ];
    pairs.forEach(([value, color], j) => {
      const h = (value / peak) * plotHeight;
      const rect = svg('rect', { x: x + j * (bar + 1), y: top + plotHeight - h, width: bar, height: h, fill: color });
      const tip = svg('title', {});
      tip.textContent = `${label}: ${j ? 'current' : 'reference'} ${formatValue(value, 3)}`;
      rect.appendChild(tip);
      root.appendChild(rect);
    });
  });
  if (labels.length) {
    root.appendChild(text(left, height - 4, labels[0]));
    root.appendChild(text(width - 6, height - 4, labels[labels.length - 1], { 'text-anchor': 'end' }));
  }
  return root;
}

/** Lines over [0, 1] x [0, 1] (precision and recall against the threshold). */
export function curvePlot(
  title: string,
  x: number[],
  series: [string, string, (number | null)[]][],
  marker: number | null = null,
  width = 420,
  height = 150
): SVGElement {
  const root = svg('svg', { width, height, class: 'mlcheck-plot', role: 'img' });
  root.setAttribute('aria-label', title);
  const top = 22;
  const bottom = 18;
  const left = 28;
  const plotHeight = height - top - bottom;
  const plotWidth = width - left - 8;
  const lo = Math.min(...x);
  const hi = Math.max(...x);
  const span = hi - lo || 1;
  const px = (v: number) => left + ((v - lo) / span) * plotWidth;
  const py = (v: number) => top + (1 - v) * plotHeight;
  root.appendChild(text(left, 11, title, { 'font-weight': 600 }));
  legend(
    root,
    width - 150,
    11,
    series.map(([label, color]) => [label, color])
  );
  root.appendChild(svg('rect', { x: left, y: top, width: plotWidth, height: plotHeight, fill: 'none', stroke: '#d0d7de' }));
  root.appendChild(text(2, top + 8, '1'));
  root.appendChild(text(2, top + plotHeight, '0'));
  root.appendChild(text(left, height - 4, formatValue(lo, 2)));
  root.appendChild(text(left + plotWidth, height - 4, `threshold ${formatValue(hi, 2)}`, { 'text-anchor': 'end' }));
  for (const [, color, values] of series) {
    const points = values
      .map((v, i) => (v === null || !Number.isFinite(v) ? null : `${px(x[i]).toFixed(1)},${py(v).toFixed(1)}`))
      .filter(p => p !== null);
    root.appendChild(svg('polyline', { points: points.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5 }));
  }
  if (marker !== null && Number.isFinite(marker)) {
    root.appendChild(svg('line', { x1: px(marker), x2: px(marker), y1: top, y2: top + plotHeight, stroke: '#57606a', 'stroke-dasharray': '3 2' }));
  }
  return root;
}

/** A confusion matrix as a small table; rows are true classes, columns predicted. */
export function confusionTable(matrix: number[][], labels: string[]): HTMLTableElement {
  const table = el('table', 'mlcheck-confusion');
  const head = table.createTHead().insertRow();
  head.appendChild(el('th', '', 'true \\ predicted'));
  labels.forEach(label => head.appendChild(el('th', '', label)));
  const body = table.createTBody();
  const total = matrix.flat().reduce((a, b) => a + b, 0) || 1;
  matrix.forEach((row, i) => {
    const tr = body.insertRow();
    tr.appendChild(el('th', '', labels[i] ?? String(i)));
    row.forEach((count, j) => {
      const cell = tr.insertCell();
      cell.textContent = String(count);
      const shade = Math.round(240 - 140 * (count / total));
      cell.style.background = i === j ? `rgb(${shade}, 250, ${shade})` : `rgb(250, ${shade}, ${shade})`;
      cell.style.color = '#1f2328';
    });
  });
  return table;
}

/**
 * The card of one mlcheck result (`application/vnd.mlcheck.result+json`):
 * pass/fail, name, observed vs threshold, the per-subject outcomes, a small
 * plot for shift and performance checks, and the details on demand.
 */
import { ICheckResult } from './api';
import { el, formatValue, statusWord } from './format';
import { binsPlot, COLORS, confusionTable, curvePlot } from './plots';

export const MIME_TYPE = 'application/vnd.mlcheck.result+json';

export interface IPayload {
  version: number;
  kind: 'check' | 'record';
  result?: ICheckResult;
  name?: string;
  value?: unknown;
}

const MAX_DETAIL_CHARS = 6000;
/** As mlcheck/results/format.py: every failed outcome up to 12, then passed ones up to 10 in all. */
export const LISTED_FAILED = 12;
export const LISTED_OUTCOMES = 10;

/** What a card's view (mlcheck.display.cards.card_view) says about the record it shows. */
interface IViewCounts {
  n_outcomes?: number;
  n_failed?: number;
  details_left_out?: string[];
}

type Outcome = ICheckResult['outcomes'][number];

/** The outcomes a card lists: failed ones first (up to LISTED_FAILED), then passed ones. */
export function listedOutcomes(outcomes: Outcome[]): Outcome[] {
  const failed = outcomes.filter(o => !o.passed).slice(0, LISTED_FAILED);
  const passed = outcomes.filter(o => o.passed).slice(0, Math.max(0, LISTED_OUTCOMES - failed.length));
  return [...failed, ...passed];
}

/** `… 3 more failed, 40 more held` for what a card does not list, counted from the record. */
export function moreLine(result: ICheckResult, listed: Outcome[]): string {
  const counts: IViewCounts = (result as unknown as { view?: IViewCounts }).view ?? {};
  const all = result.outcomes ?? [];
  const nOutcomes = counts.n_outcomes ?? all.length;
  const nFailed = counts.n_failed ?? all.filter(o => !o.passed).length;
  const listedFailed = listed.filter(o => !o.passed).length;
  const failed = nFailed - listedFailed;
  const held = nOutcomes - nFailed - (listed.length - listedFailed);
  const words = [failed > 0 ? `${failed} more failed` : '', held > 0 ? `${held} more held` : ''].filter(Boolean);
  return words.length ? `… ${words.join(', ')}` : '';
}

export function renderPayload(payload: IPayload): HTMLElement {
  if (payload.kind === 'record') {
    return renderRecord(String(payload.name), payload.value);
  }
  if (payload.kind === 'check' && payload.result) {
    return renderCheck(payload.result);
  }
  if ((payload.kind as string) === 'environment') {
    // the probe a job injects first: the kernel's Python and packages, kept in run.json
    const python = (payload as unknown as { python?: string }).python;
    return el('div', 'mlcheck-record', `mlcheck recorded the kernel's environment${python ? ` (Python ${python})` : ''}`);
  }
  return el('div', 'mlcheck-card', `unknown mlcheck payload kind ${JSON.stringify(payload.kind)}`);
}

export function renderRecord(name: string, value: unknown): HTMLElement {
  const node = el('div', 'mlcheck-record');
  node.appendChild(document.createTextNode('recorded '));
  node.appendChild(el('b', '', name));
  let shown = typeof value === 'string' ? value : JSON.stringify(value);
  if (shown.length > 200) {
    shown = shown.slice(0, 197) + '...';
  }
  node.appendChild(document.createTextNode(` = ${shown}`));
  return node;
}

export function renderCheck(result: ICheckResult): HTMLElement {
  const word = statusWord(result);
  const card = el('div', `mlcheck-card mlcheck-${word.toLowerCase()}`);
  card.dataset.check = result.name;
  const header = el('div', 'mlcheck-card-header');
  header.appendChild(el('span', 'mlcheck-badge', word));
  header.appendChild(el('b', 'mlcheck-card-name', result.name));
  header.appendChild(
    el(
      'span',
      'mlcheck-muted',
      `observed ${formatValue(result.observed)} · threshold ${formatValue(result.threshold)}`
    )
  );
  card.appendChild(header);
  if (result.message) {
    card.appendChild(el('div', 'mlcheck-message', result.message));
  }
  if (result.outcomes?.length) {
    card.appendChild(outcomesTable(result));
  }
  const plot = plotFor(result);
  if (plot) {
    card.appendChild(plot);
  }
  const details = result.details ?? {};
  if (Object.keys(details).length) {
    const box = el('details', 'mlcheck-details');
    box.appendChild(el('summary', '', 'details'));
    let json = JSON.stringify(details, null, 1);
    if (json.length > MAX_DETAIL_CHARS) {
      json = json.slice(0, MAX_DETAIL_CHARS) + '\n…';
    }
    box.appendChild(el('pre', '', json));
    card.appendChild(box);
  }
  return card;
}

function outcomesTable(result: ICheckResult): HTMLTableElement {
  const table = el('table', 'mlcheck-outcomes');
  const head = table.createTHead().insertRow();
  ['', 'subject', 'observed', 'threshold', ''].forEach(label => head.appendChild(el('th', '', label)));
  const body = table.createTBody();
  const listed = listedOutcomes(result.outcomes);
  for (const outcome of listed) {
    const row = body.insertRow();
    row.className = outcome.passed ? 'mlcheck-row-pass' : 'mlcheck-row-fail';
    row.insertCell().textContent = outcome.passed ? '✓' : '✗';
    row.insertCell().textContent = outcome.subject;
    row.insertCell().textContent = formatValue(outcome.observed);
    row.insertCell().textContent = formatValue(outcome.threshold);
    row.insertCell().textContent = outcome.passed ? '' : outcome.message ?? '';
  }
  const more = moreLine(result, listed);
  if (more) {
    const row = body.insertRow();
    row.className = 'mlcheck-row-more';
    row.insertCell();
    const cell = row.insertCell();
    cell.colSpan = 4;
    cell.textContent = more;
  }
  return table;
}

// -- plots for the check families that have one ------------------------------

function plotFor(result: ICheckResult): HTMLElement | null {
  try {
    if (result.name === 'check_shift') {
      return shiftPlot(result);
    }
    if (result.name === 'check_performance') {
      return performancePlot(result);
    }
  } catch (error) {
    console.warn('mlcheck: could not draw the plot of', result.name, error);
  }
  return null;
}

export interface IFeatureBins {
  feature: string;
  labels: string[];
  reference: number[];
  current: number[];
  score: number;
  drifted: boolean;
}

const numbers = (value: unknown): number[] | null =>
  Array.isArray(value) && value.every(v => typeof v === 'number') ? (value as number[]) : null;

/** One side's per-bin shares of a feature, as fractions (details may give percents). */
function shares(info: Record<string, unknown>, side: 'reference' | 'current'): number[] | null {
  const direct = numbers(info[side]);
  if (direct) {
    return direct;
  }
  const percent = numbers(info[`${side}_pct`]);
  return percent ? percent.map(v => v / 100) : null;
}

/** Per-feature bins from a shift result's details, the most shifted first. */
export function featureBins(details: Record<string, any>): IFeatureBins[] {
  const raw = details.features ?? details.per_feature ?? {};
  const entries: [string, any][] = Array.isArray(raw)
    ? raw.map((item: any) => [String(item.feature ?? item.name), item])
    : Object.entries(raw);
  const found: IFeatureBins[] = [];
  for (const [feature, info] of entries) {
    if (!info || typeof info !== 'object') {
      continue;
    }
    const labels = info.bins ?? info.labels ?? info.bin_labels;
    const reference = shares(info, 'reference');
    const current = shares(info, 'current');
    if (!Array.isArray(labels) || !reference || !current) {
      continue;
    }
    found.push({
      feature,
      labels: labels.map(String),
      reference,
      current,
      score: Number(info.kl ?? info.psi ?? 0) || 0,
      drifted: Boolean(info.drifted)
    });
  }
  return found.sort((a, b) => b.score - a.score);
}

function shiftPlot(result: ICheckResult): HTMLElement | null {
  const features = featureBins(result.details ?? {});
  if (!features.length) {
    return null;
  }
  const box = el('div', 'mlcheck-plot-box');
  const draw = (item: IFeatureBins) => {
    box.querySelector('svg')?.remove();
    box.appendChild(
      binsPlot(`${item.feature}: share per bin (KL ${formatValue(item.score, 3)})`, item.labels, item.reference, item.current)
    );
  };
  if (features.length > 1) {
    const picker = el('select', 'mlcheck-feature-picker');
    features.forEach((item, i) => {
      const option = el('option', '', `${item.feature}${item.drifted ? ' (drifted)' : ''}`);
      option.value = String(i);
      picker.appendChild(option);
    });
    picker.onchange = () => draw(features[Number(picker.value)]);
    box.appendChild(picker);
  }
  draw(features[0]);
  return box;
}

/** Precision and recall at each threshold of details.threshold_curve. */
export function thresholdCurve(details: Record<string, any>): {
  thresholds: number[];
  precision: (number | null)[];
  recall: (number | null)[];
} | null {
  const curve = details.threshold_curve;
  const thresholds = numbers(curve?.thresholds);
  const tp = numbers(curve?.tp);
  const fp = numbers(curve?.fp);
  const fn = numbers(curve?.fn);
  if (!thresholds || !tp || !fp || !fn || !thresholds.length) {
    return null;
  }
  return {
    thresholds,
    precision: thresholds.map((_, i) => (tp[i] + fp[i] ? tp[i] / (tp[i] + fp[i]) : null)),
    recall: thresholds.map((_, i) => (tp[i] + fn[i] ? tp[i] / (tp[i] + fn[i]) : null))
  };
}

function performancePlot(result: ICheckResult): HTMLElement | null {
  const details = result.details ?? {};
  const box = el('div', 'mlcheck-plot-box');
  const curve = thresholdCurve(details);
  if (curve) {
    const marker = typeof details.threshold === 'number' ? details.threshold : null;
    box.appendChild(
      curvePlot(
        'precision and recall by decision threshold',
        curve.thresholds,
        [
          ['precision', COLORS.precision, curve.precision],
          ['recall', COLORS.recall, curve.recall]
        ],
        marker
      )
    );
  }
  const matrix = confusionMatrix(details);
  if (matrix) {
    box.appendChild(confusionTable(matrix.matrix, matrix.labels));
  }
  return box.childElementCount ? box : null;
}

function confusionMatrix(details: Record<string, any>): { matrix: number[][]; labels: string[] } | null {
  const raw = details.confusion_matrix;
  const matrix: unknown = Array.isArray(raw) ? raw : raw?.matrix;
  if (!Array.isArray(matrix) || !matrix.every(row => numbers(row))) {
    return null;
  }
  const labels: string[] = (raw?.labels ?? details.labels ?? matrix.map((_: unknown, i: number) => String(i))).map(String);
  return { matrix: matrix as number[][], labels };
}

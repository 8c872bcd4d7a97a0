/**
 * Short human readings of values: the rule of mlcheck/results/format.py, held to
 * the same vectors (tests/format_vectors.json).
 *
 * Numbers: magnitude >= 1e15 or below 1e-4 (zero aside) in scientific notation
 * with `digits` significant digits and a two-digit exponent (`1.235e-05`);
 * magnitude >= 10 ** digits rounded to a whole number (123456.7 reads `123457`);
 * otherwise `digits` significant digits with trailing zeros cut. Ties round half
 * away from zero, as toPrecision/toFixed/toExponential do.
 */

const LARGE = 1e15;
const SMALL = 1e-4;
const LIST_ITEMS = 6;

function scientific(value: number, digits: number): string {
  const [mantissa, exponent] = value.toExponential(digits - 1).split('e');
  const power = parseInt(exponent, 10);
  return `${String(parseFloat(mantissa))}e${power < 0 ? '-' : '+'}${String(Math.abs(power)).padStart(2, '0')}`;
}

export function formatNumber(value: number, digits = 4): string {
  if (Number.isNaN(value)) {
    return 'nan';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? 'inf' : '-inf';
  }
  if (value === 0) {
    return '0';
  }
  const magnitude = Math.abs(value);
  if (magnitude >= LARGE || magnitude < SMALL) {
    return scientific(value, digits);
  }
  if (magnitude >= 10 ** digits) {
    return value.toFixed(0);
  }
  return String(parseFloat(value.toPrecision(digits)));
}

export function formatValue(value: unknown, digits = 4): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'boolean') {
    return value ? 'yes' : 'no';
  }
  if (typeof value === 'number') {
    return formatNumber(value, digits);
  }
  if (Array.isArray(value)) {
    const shown = value.slice(0, LIST_ITEMS).map(v => formatValue(v, digits));
    return `[${shown.join(', ')}${value.length > LIST_ITEMS ? ', …' : ''}]`;
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${formatValue(v, digits)}`)
      .join(', ');
  }
  return String(value);
}

export function statusWord(result: {
  passed: boolean;
  severity?: string;
}): 'PASS' | 'FAIL' | 'WARN' {
  if (result.passed) {
    return 'PASS';
  }
  return (result.severity ?? 'error') === 'error' ? 'FAIL' : 'WARN';
}

/** Create an element with a class and optional text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** Strip ANSI colour codes from a traceback line. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

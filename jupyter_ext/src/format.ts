/**
 * Short human readings of values, the same as mlcheck's text cards.
 */

export function formatValue(value: unknown, digits = 4): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'boolean') {
    return value ? 'yes' : 'no';
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return String(value);
    }
    return String(parseFloat(value.toPrecision(digits)));
  }
  if (Array.isArray(value)) {
    const shown = value.slice(0, 6).map(v => formatValue(v, digits));
    return `[${shown.join(', ')}${value.length > 6 ? ', …' : ''}]`;
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

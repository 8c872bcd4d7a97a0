/**
 * Parameter values as text, with no dependency on JupyterLab (so node tests load it):
 * the text "Run again" sends for a value a run recorded (the rule of
 * mlcheck_jupyter.runview.value_text), and the quick check of what is typed into
 * the form (numbers only; the server's parser checks every value a moment later).
 */

/** A parameter's range, from its comment (`sample = 0.1  # in (0, 1]`) as the server's parser read it; null is infinite. */
export interface IRange {
  low: number | null;
  high: number | null;
  low_closed: boolean;
  high_closed: boolean;
  text: string;
}

/** The part of a parameter these functions need. */
export interface IParameterType {
  name: string;
  type_name: string;
  range?: IRange | null;
}

/** Whether `x` lies in `range` (the rule of mlcheck.runs.parameter_ranges.Range; NaN lies in none). */
export function inRange(range: IRange, x: number): boolean {
  if (Number.isNaN(x)) {
    return false;
  }
  const low = range.low ?? -Infinity;
  const high = range.high ?? Infinity;
  return (range.low_closed ? x >= low : x > low) && (range.high_closed ? x <= high : x < high);
}

/** A number as the parser reads it from text (`1_000`, `1e-3`, `inf`, `nan`); null when the text is no number. */
function numberOf(text: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(text)) {
    return text.startsWith('-') ? -Infinity : Infinity;
  }
  if (/^[+-]?nan$/i.test(text)) {
    return NaN;
  }
  const number = Number(text.replace(/_/g, ''));
  return text === '' || Number.isNaN(number) ? null : number;
}

/** A value as the text `mlcheck run -p` reads back (what the run recorded, for "Run again"). */
export function valueText(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value === null || value === undefined) {
    return 'None';
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'number') {
    return String(value);
  }
  return JSON.stringify(value);
}

/**
 * A value typed into the form, checked like `mlcheck run -p` will check it (numbers and their range only;
 * the server checks the rest).
 */
export function checkValue(parameter: IParameterType, text: string): string | null {
  const optional = parameter.type_name.endsWith(' | None') || parameter.type_name === 'any';
  const base = parameter.type_name.replace(/ \| None$/, '');
  const value = text.trim();
  if (optional && ['none', 'null', '~'].includes(value.toLowerCase())) {
    return null;
  }
  const range = parameter.range;
  if (range && ['int', 'float', 'any'].includes(base)) {
    const number = numberOf(value);
    if (number === null && base === 'any') {
      return null; // text for an untyped parameter: the server's parser says what it is
    }
    if (number === null || !inRange(range, number) || (base === 'int' && !Number.isInteger(number))) {
      return `${parameter.name} must be a ${base === 'int' ? 'whole ' : ''}number in ${range.text}, got ${JSON.stringify(text)}`;
    }
  }
  const number = Number(value.replace(/_/g, ''));
  if (base === 'int' && (value === '' || !Number.isInteger(number))) {
    return `${parameter.name} must be a whole number (int), got ${JSON.stringify(text)}`;
  }
  if (base === 'float' && !/^[+-]?(nan|inf|infinity)$/i.test(value) && (value === '' || !Number.isFinite(number))) {
    return `${parameter.name} must be a number (float), got ${JSON.stringify(text)}`;
  }
  return null;
}


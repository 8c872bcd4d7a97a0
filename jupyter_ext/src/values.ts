/**
 * Parameter values as text, with no dependency on JupyterLab (so node tests load it):
 * the text "Run again" sends for a value a run recorded (the rule of
 * mlcheck_jupyter.runview.value_text), and the quick check of what is typed into
 * the form (numbers only; the server's parser checks every value a moment later).
 */

/** The part of a parameter these functions need. */
export interface IParameterType {
  name: string;
  type_name: string;
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

/** A value typed into the form, checked like `mlcheck run -p` will check it (numbers only; the server checks the rest). */
export function checkValue(parameter: IParameterType, text: string): string | null {
  const optional = parameter.type_name.endsWith(' | None') || parameter.type_name === 'any';
  const base = parameter.type_name.replace(/ \| None$/, '');
  const value = text.trim();
  if (optional && ['none', 'null', '~'].includes(value.toLowerCase())) {
    return null;
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


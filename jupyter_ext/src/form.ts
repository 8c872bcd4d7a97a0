/**
 * The parameter form of the mlcheck panel: one field per parameter of the
 * notebook's `parameters` cell, checked as the user types (numbers and their
 * range here, every type by the server's own parser a moment later), values
 * changed from the defaults marked, kept across reloads, and a reset to the
 * defaults. A number with a range (`sample = 0.1  # in (0, 1]`) is a number
 * field with the range's `min` and `max`, and the range beside its type.
 */
import { api, ApiError, IParameter, IRunValues } from './api';
import { el } from './format';
import { checkValue } from './values';

const CHECK_DELAY_MS = 400;
const STORAGE_PREFIX = 'mlcheck-jupyter:form:';

function defaultText(parameter: IParameter): string {
  if (parameter.type_name.replace(/ \| None$/, '') === 'str' && typeof parameter.default === 'string') {
    return parameter.default;
  }
  return parameter.default_source;
}

function isCheckbox(parameter: IParameter): boolean {
  return parameter.type_name === 'bool';
}

/** A number field for an int or float (not `| None`: a number field cannot hold "None") with a range. */
function isNumberField(parameter: IParameter): boolean {
  return !!parameter.range && ['int', 'float'].includes(parameter.type_name);
}

interface IField {
  parameter: IParameter;
  row: HTMLElement;
  input: HTMLInputElement;
  error: HTMLElement;
  changed: HTMLElement;
  initial: string;
  timer: number;
}

let formCount = 0;

export class ParameterForm {
  /** The form; submitting it (Enter in a field) runs `onSubmit`. */
  readonly node = el('form', 'mlcheck-form');

  constructor(private readonly onSubmit: () => void) {
    this.node.noValidate = true;
    this.node.onsubmit = event => {
      event.preventDefault();
      this.onSubmit();
    };
    this.id = `mlcheck-form-${++formCount}`;
  }

  /** The notebook path the values are checked against and kept for. */
  path: string | null = null;

  get fieldCount(): number {
    return this.fields.length;
  }

  /**
   * Show `parameters`; values come from `run` (the executed notebook of a run),
   * else from what the user typed before (kept per notebook), else the defaults.
   */
  show(path: string, parameters: IParameter[], run: IRunValues | null): void {
    this.path = path;
    this.run = run;
    const kept = run ? {} : this.stored(path);
    // an executed notebook: the values its run was given (the others were the defaults the form shows)
    this.render(parameters, name => (run ? (run.given.includes(name) ? run.values[name] : undefined) : kept[name]));
  }

  /** The parameters cell changed on disk: show the new list, keeping what was typed into fields that remain. */
  update(parameters: IParameter[]): void {
    const typed: Record<string, string> = {};
    for (const field of this.fields) {
      typed[field.parameter.name] = this.text(field);
    }
    const before = new Map(this.fields.map(field => [field.parameter.name, field]));
    this.render(parameters, name => {
      const old = before.get(name);
      return old && this.text(old) !== old.initial ? typed[name] : undefined;
    });
  }

  clear(message: string): void {
    this.fields = [];
    this.node.replaceChildren(el('div', 'mlcheck-muted', message));
  }

  /** The values that differ from the notebook's defaults, as `-p NAME VALUE` strings. */
  values(): Record<string, string> {
    const values: Record<string, string> = {};
    for (const field of this.fields) {
      const text = this.text(field);
      if (text !== field.initial) {
        values[field.parameter.name] = text;
      }
    }
    return values;
  }

  /** Check every field now; the fields in error (focus goes to the first). */
  invalid(): string[] {
    const bad = this.fields.filter(field => !this.checkField(field));
    bad[0]?.input.focus();
    return bad.map(field => {
      const error = field.error.textContent ?? '';
      return error.includes(field.parameter.name) ? error : `${field.parameter.name}: ${error}`;
    });
  }

  /** Mark a parameter the server refused, with its reason. */
  refuse(parameter: string, message: string): boolean {
    const field = this.fields.find(f => f.parameter.name === parameter);
    if (!field) {
      return false;
    }
    this.setError(field, message.split('\n')[0]);
    field.input.focus();
    return true;
  }

  /** Every field back to the notebook's default; forget the kept values. */
  reset(): void {
    for (const field of this.fields) {
      this.setText(field, field.initial);
      this.setError(field, null);
      this.markChanged(field);
    }
    if (this.path) {
      localStorage.removeItem(STORAGE_PREFIX + this.path);
    }
  }

  /** The values of the run this form shows (executed notebook), if any. */
  run: IRunValues | null = null;

  // -- rendering ------------------------------------------------------------------
  private render(parameters: IParameter[], value: (name: string) => string | undefined): void {
    for (const field of this.fields) {
      window.clearTimeout(field.timer);
    }
    this.fields = [];
    this.node.replaceChildren();
    if (!parameters.length) {
      this.node.appendChild(
        el('div', 'mlcheck-muted', 'No cell tagged "parameters": the job runs the notebook as it is.')
      );
    }
    parameters.forEach((parameter, position) => {
      const field = this.field(parameter, `${this.id}-${position}`);
      const text = value(parameter.name);
      if (text !== undefined) {
        this.setText(field, text);
      }
      this.markChanged(field);
      if (this.text(field) !== field.initial) {
        this.checkField(field); // a kept or run value outside the range shows its error at once
      }
      this.node.appendChild(field.row);
      this.fields.push(field);
    });
    // Enter in a text field submits the form: an (invisible) submit button makes that work with several fields.
    const submit = el('button', 'mlcheck-hidden-submit');
    submit.type = 'submit';
    submit.tabIndex = -1;
    submit.setAttribute('aria-hidden', 'true');
    this.node.appendChild(submit);
  }

  private field(parameter: IParameter, id: string): IField {
    const row = el('div', 'mlcheck-field');
    row.dataset.parameter = parameter.name;
    const top = el('div', 'mlcheck-field-label');
    const name = el('label', 'mlcheck-field-name', parameter.name);
    name.id = `${id}-name`;
    name.htmlFor = `${id}-input`;
    const range = parameter.range;
    const type = el('span', 'mlcheck-type', range ? `${parameter.type_name} in ${range.text}` : parameter.type_name);
    type.id = `${id}-type`;
    type.title = range
      ? `type: ${parameter.type_name}, in ${range.text} (the range its comment in the parameters cell gives)`
      : `type: ${parameter.type_name}`;
    const changed = el('span', 'mlcheck-changed-mark', 'changed');
    changed.id = `${id}-changed`;
    top.append(name, changed, type);
    const input = el('input', 'jp-mod-styled mlcheck-input');
    input.id = `${id}-input`;
    input.name = parameter.name;
    const initial = isCheckbox(parameter) ? (parameter.default === true ? 'True' : 'False') : defaultText(parameter);
    if (isCheckbox(parameter)) {
      input.type = 'checkbox';
      input.checked = parameter.default === true;
    } else {
      input.type = 'text';
      input.spellcheck = false;
      input.autocomplete = 'off';
      if (isNumberField(parameter) && range) {
        input.type = 'number';
        input.step = parameter.type_name === 'int' ? '1' : 'any';
        if (range.low !== null) {
          input.min = String(range.low);
        }
        if (range.high !== null) {
          input.max = String(range.high);
        }
      }
      this.setInputText(input, initial);
    }
    const error = el('div', 'mlcheck-field-error');
    error.id = `${id}-error`;
    const described = [`${id}-type`];
    row.append(top, input);
    if (parameter.comment) {
      const comment = el('div', 'mlcheck-comment', parameter.comment);
      comment.id = `${id}-comment`;
      row.appendChild(comment);
      described.push(comment.id);
    }
    if (parameter.note) {
      // e.g. `in [0; 1]` read as help text: the range the author meant is not enforced
      const note = el('div', 'mlcheck-note', parameter.note);
      note.id = `${id}-note`;
      row.appendChild(note);
      described.push(note.id);
    }
    row.appendChild(error);
    described.push(error.id, changed.id);
    // The accessible name is the parameter's name alone; type, help, error and "changed" are its description.
    input.setAttribute('aria-labelledby', name.id);
    input.setAttribute('aria-describedby', described.join(' '));
    const field: IField = { parameter, row, input, error, changed, initial, timer: 0 };
    input.oninput = () => this.edited(field);
    input.onchange = () => this.edited(field);
    return field;
  }

  // -- values -----------------------------------------------------------------------
  private text(field: IField): string {
    if (field.input.type === 'checkbox') {
      return field.input.checked ? 'True' : 'False';
    }
    return field.input.value;
  }

  private setText(field: IField, text: string): void {
    if (field.input.type === 'checkbox') {
      field.input.checked = ['true', 'yes', 'on', '1'].includes(text.trim().toLowerCase());
    } else {
      this.setInputText(field.input, text);
    }
  }

  /** A number field drops text that is not a number (`1_000`, `nan`): such a field becomes a text field. */
  private setInputText(input: HTMLInputElement, text: string): void {
    input.value = text;
    if (input.type === 'number' && input.value !== text) {
      input.type = 'text';
      input.value = text;
    }
  }

  private edited(field: IField): void {
    this.markChanged(field);
    this.keep();
    if (this.checkField(field)) {
      this.checkLater(field);
    }
  }

  private markChanged(field: IField): void {
    const changed = this.text(field) !== field.initial;
    field.row.classList.toggle('mlcheck-changed', changed);
    field.changed.hidden = !changed;
    field.changed.title = changed ? `differs from the notebook's default (${field.initial})` : '';
  }

  private checkField(field: IField): boolean {
    let problem = field.input.type === 'checkbox' ? null : checkValue(field.parameter, field.input.value);
    if (field.input.validity.badInput) {
      // a number field holding what the browser cannot read as a number ("1e") reports an empty value
      problem = `${field.parameter.name} must be a number in ${field.parameter.range?.text}, and this is not a number`;
    }
    this.setError(field, problem);
    return problem === null;
  }

  private setError(field: IField, problem: string | null): void {
    field.error.textContent = problem ?? '';
    field.input.classList.toggle('mlcheck-invalid', problem !== null);
    if (problem === null) {
      field.input.removeAttribute('aria-invalid');
    } else {
      field.input.setAttribute('aria-invalid', 'true');
    }
  }

  /** Ask the server's parser (the one jobs use) about this value, once typing pauses. */
  private checkLater(field: IField): void {
    window.clearTimeout(field.timer);
    const path = this.path;
    const text = this.text(field);
    if (!path || text === field.initial) {
      return;
    }
    field.timer = window.setTimeout(async () => {
      try {
        await api.check(path, { [field.parameter.name]: text });
      } catch (error) {
        if (error instanceof ApiError && error.parameter === field.parameter.name && this.text(field) === text) {
          this.setError(field, error.message.split('\n')[0]);
        }
      }
    }, CHECK_DELAY_MS);
  }

  // -- kept values (localStorage, per notebook) --------------------------------------
  private keep(): void {
    if (!this.path || this.run) {
      return; // an executed notebook shows its run's values; nothing of the user's to keep
    }
    const values = this.values();
    try {
      if (Object.keys(values).length) {
        localStorage.setItem(STORAGE_PREFIX + this.path, JSON.stringify(values));
      } else {
        localStorage.removeItem(STORAGE_PREFIX + this.path);
      }
    } catch {
      // storage full or disabled: the values just are not kept
    }
  }

  private stored(path: string): Record<string, string> {
    try {
      const data = JSON.parse(localStorage.getItem(STORAGE_PREFIX + path) ?? '{}');
      return data && typeof data === 'object' ? data : {};
    } catch {
      return {};
    }
  }

  private readonly id: string;
  private fields: IField[] = [];
}

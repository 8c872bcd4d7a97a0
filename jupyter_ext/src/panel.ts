/**
 * The mlcheck side panel for the active notebook: its parameters as a form,
 * "Run as job", live progress, and the check table of the latest run.
 */
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { api, ApiError, ICheckResult, IParameter, IRun, RUNNING_STATES } from './api';
import { el, formatValue, statusWord, stripAnsi } from './format';

const POLL_MS = 1000;

/** A value typed into the form, checked like `mlcheck run -p` will check it. */
export function checkValue(parameter: IParameter, text: string): string | null {
  const optional = parameter.type_name.endsWith(' | None') || parameter.type_name === 'any';
  const base = parameter.type_name.replace(/ \| None$/, '');
  const value = text.trim();
  if (optional && ['none', 'null'].includes(value.toLowerCase())) {
    return null;
  }
  if (base === 'int' && !/^[+-]?\d+$/.test(value.replace(/_/g, ''))) {
    return `${parameter.name} must be an int, got ${JSON.stringify(text)}`;
  }
  if (base === 'float' && (value === '' || !Number.isFinite(Number(value)))) {
    return `${parameter.name} must be a float, got ${JSON.stringify(text)}`;
  }
  return null;
}

function initialText(parameter: IParameter): string {
  if (parameter.type_name.replace(/ \| None$/, '') === 'str' && typeof parameter.default === 'string') {
    return parameter.default;
  }
  return parameter.default_source;
}

interface IField {
  parameter: IParameter;
  input: HTMLInputElement;
  error: HTMLElement;
  initial: string;
}

export class MlcheckPanel extends Widget {
  constructor(private readonly commands: CommandRegistry) {
    super();
    this.id = 'mlcheck-panel';
    this.addClass('mlcheck-panel');
    this.title.caption = 'mlcheck: parameters, jobs and contracts';
    this.node.appendChild(this.header);
    this.node.appendChild(this.formBox);
    this.node.appendChild(this.actions);
    this.node.appendChild(this.statusBox);
    this.node.appendChild(this.resultsBox);
    this.runButton.onclick = () => void this.runJob();
    this.cancelButton.onclick = () => void this.cancelJob();
    this.actions.append(this.runButton, this.cancelButton);
    this.cancelButton.hidden = true;
    this.showEmpty();
  }

  /** The notebook the panel is about (the active one), or null. */
  get notebookPath(): string | null {
    return this.notebook?.context.path ?? null;
  }

  setNotebook(notebook: NotebookPanel | null): void {
    if (notebook === this.notebook) {
      return;
    }
    this.notebook?.context.pathChanged.disconnect(this.onPathChanged, this);
    this.notebook = notebook;
    notebook?.context.pathChanged.connect(this.onPathChanged, this);
    this.refreshDone = this.refresh();
  }

  private onPathChanged(): void {
    // A rename: jobs are keyed by path, so follow the new one.
    this.refreshDone = this.refresh();
  }

  /** Reload parameters, the latest run and any job running for this notebook. */
  async refresh(): Promise<void> {
    const path = this.notebookPath;
    if (!path) {
      this.showEmpty();
      return;
    }
    await this.notebook?.context.ready;
    if (path !== this.notebookPath) {
      return;
    }
    this.header.replaceChildren(el('div', 'mlcheck-title', 'mlcheck'), el('div', 'mlcheck-path', path));
    this.runButton.disabled = false;
    this.statusBox.replaceChildren();
    this.resultsBox.replaceChildren();
    const [parameters, latest, jobs] = await Promise.allSettled([api.parameters(path), api.latest(path), api.jobs(path)]);
    if (path !== this.notebookPath) {
      return; // the user switched notebooks meanwhile
    }
    if (parameters.status === 'fulfilled') {
      this.showForm(parameters.value.parameters);
    } else {
      this.fields = [];
      this.formBox.replaceChildren(el('div', 'mlcheck-error', `Could not read parameters: ${parameters.reason.message}`));
    }
    const running = jobs.status === 'fulfilled' ? jobs.value.jobs.filter(job => RUNNING_STATES.includes(job.state)) : [];
    if (running.length) {
      this.follow(running[running.length - 1]);
    } else if (latest.status === 'fulfilled' && latest.value.run) {
      const run = latest.value.run;
      const executed = run.output_path === path; // this notebook is a run's executed copy
      this.showRun(run, executed ? `executed notebook of run ${run.run_id}` : 'latest run');
    } else {
      this.resultsBox.replaceChildren(el('div', 'mlcheck-muted', 'No run of this notebook yet.'));
    }
  }

  private showEmpty(): void {
    this.fields = [];
    this.header.replaceChildren(el('div', 'mlcheck-title', 'mlcheck'));
    this.formBox.replaceChildren(el('div', 'mlcheck-muted', 'Open a notebook to see its parameters and contracts.'));
    this.statusBox.replaceChildren();
    this.resultsBox.replaceChildren();
    this.runButton.disabled = true;
  }

  private showForm(parameters: IParameter[]): void {
    this.fields = [];
    const form = el('form', 'mlcheck-form');
    form.onsubmit = event => {
      event.preventDefault();
      void this.runJob();
    };
    form.appendChild(el('div', 'mlcheck-section', 'Parameters'));
    if (!parameters.length) {
      form.appendChild(el('div', 'mlcheck-muted', 'No cell tagged "parameters": the job runs with the notebook as it is.'));
    }
    for (const parameter of parameters) {
      const row = el('label', 'mlcheck-field');
      row.dataset.parameter = parameter.name;
      const top = el('div', 'mlcheck-field-label');
      top.append(el('span', 'mlcheck-field-name', parameter.name), el('span', 'mlcheck-type', parameter.type_name));
      const input = el('input', 'jp-mod-styled mlcheck-input');
      input.name = parameter.name;
      const initial = initialText(parameter);
      if (parameter.type_name === 'bool') {
        input.type = 'checkbox';
        input.checked = parameter.default === true;
      } else {
        input.type = 'text';
        input.value = initial;
      }
      const error = el('div', 'mlcheck-field-error');
      const field: IField = { parameter, input, error, initial };
      input.oninput = () => this.validateField(field);
      row.append(top, input);
      if (parameter.comment) {
        row.appendChild(el('div', 'mlcheck-comment', parameter.comment));
      }
      row.appendChild(error);
      form.appendChild(row);
      this.fields.push(field);
    }
    this.formBox.replaceChildren(form);
  }

  private validateField(field: IField): boolean {
    const problem = field.input.type === 'checkbox' ? null : checkValue(field.parameter, field.input.value);
    field.error.textContent = problem ?? '';
    field.input.classList.toggle('mlcheck-invalid', problem !== null);
    return problem === null;
  }

  /** The values that differ from the notebook's defaults, as `-p NAME VALUE` strings. */
  private changedValues(): Record<string, string> {
    const values: Record<string, string> = {};
    for (const field of this.fields) {
      if (field.input.type === 'checkbox') {
        if (field.input.checked !== (field.parameter.default === true)) {
          values[field.parameter.name] = field.input.checked ? 'True' : 'False';
        }
      } else if (field.input.value !== field.initial) {
        values[field.parameter.name] = field.input.value;
      }
    }
    return values;
  }

  /** Validate the form, save the notebook, and start it as a job. */
  async runJob(): Promise<void> {
    const path = this.notebookPath;
    if (!path || !this.notebook) {
      return;
    }
    const invalid = this.fields.filter(field => !this.validateField(field));
    if (invalid.length) {
      this.showError(`Fix ${invalid.map(f => f.parameter.name).join(', ')} before running: ${invalid[0].error.textContent}`);
      return;
    }
    this.runButton.disabled = true;
    try {
      if (this.notebook.context.model.dirty) {
        await this.notebook.context.save(); // the job runs the file on disk
      }
      const job = await api.start(path, this.changedValues());
      this.follow(job);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : null;
      if (apiError?.parameter) {
        const field = this.fields.find(f => f.parameter.name === apiError.parameter);
        if (field) {
          field.error.textContent = apiError.message.split('\n')[0];
          field.input.classList.add('mlcheck-invalid');
        }
      }
      this.showError(`The job did not start: ${(error as Error).message}`);
      this.runButton.disabled = false;
    }
  }

  async cancelJob(): Promise<void> {
    if (!this.jobId) {
      return;
    }
    this.cancelButton.disabled = true;
    try {
      this.showProgress(await api.cancel(this.jobId));
    } catch (error) {
      this.showError(`Could not cancel: ${(error as Error).message}`);
    }
  }

  private follow(job: IRun): void {
    this.jobId = job.id ?? job.run_id;
    this.runButton.disabled = true;
    this.cancelButton.hidden = false;
    this.cancelButton.disabled = job.state === 'cancelling';
    this.resultsBox.replaceChildren();
    this.showProgress(job);
    window.clearTimeout(this.timer);
    const poll = async () => {
      const id = this.jobId;
      if (!id) {
        return;
      }
      let current: IRun;
      try {
        current = await api.job(id);
      } catch (error) {
        this.showError(`Lost track of job ${id}: ${(error as Error).message}`);
        this.stopFollowing();
        return;
      }
      if (id !== this.jobId || current.path !== this.notebookPath) {
        return; // switched notebooks; refresh() picks the job up again
      }
      if (RUNNING_STATES.includes(current.state)) {
        this.showProgress(current);
        this.timer = window.setTimeout(poll, POLL_MS);
      } else {
        this.stopFollowing();
        this.showRun(current, 'this run');
      }
    };
    this.timer = window.setTimeout(poll, POLL_MS);
  }

  private stopFollowing(): void {
    window.clearTimeout(this.timer);
    this.jobId = null;
    this.cancelButton.hidden = true;
    this.cancelButton.disabled = false;
    this.runButton.disabled = !this.notebookPath;
  }

  private showProgress(job: IRun): void {
    const progress = job.progress ?? { cell: null, n_cells: null, elapsed: null };
    const box = el('div', 'mlcheck-status mlcheck-status-running');
    const cell = progress.cell ?? 0; // cells started so far, counting from 1
    const total = progress.n_cells ?? 0;
    const verb = job.state === 'cancelling' ? 'Cancelling' : 'Running';
    const label = total > 0 && cell > 0 ? `${verb}: cell ${cell} of ${total}` : `${verb}: starting the kernel…`;
    const elapsed = typeof progress.elapsed === 'number' ? ` · ${progress.elapsed.toFixed(1)} s` : '';
    box.appendChild(el('div', 'mlcheck-status-line', label + elapsed));
    const bar = el('progress', 'mlcheck-progress');
    bar.max = Math.max(total, 1);
    bar.value = total ? Math.max(cell - 1, 0) : 0;
    box.appendChild(bar);
    box.appendChild(el('div', 'mlcheck-muted', `run ${job.run_id}`));
    this.statusBox.replaceChildren(box);
  }

  private showError(message: string): void {
    this.statusBox.replaceChildren(el('div', 'mlcheck-error', message));
  }

  /** A finished run: its status, the failing cell if any, links and the check table. */
  private showRun(run: IRun, what: string): void {
    const status = el('div', `mlcheck-status mlcheck-state-${run.state}`);
    const results = run.results ?? [];
    const failed = results.filter(r => !r.passed);
    const summary: Record<string, string> = {
      succeeded: `All ${results.length} checks held`,
      failed: `${failed.length} of ${results.length} checks failed`,
      error: run.failed_cell ? `A cell raised ${run.failed_cell.ename}` : 'The job failed before running its cells',
      timeout: 'The job timed out',
      died: 'The kernel died',
      cancelled: 'The job was cancelled'
    };
    status.appendChild(el('div', 'mlcheck-status-line', `${summary[run.state] ?? run.state} (${what}, exit ${run.exit_code ?? '—'})`));
    if (run.failed_cell) {
      status.appendChild(this.failedCell(run));
    } else if (run.message && run.state !== 'succeeded' && run.state !== 'failed') {
      status.appendChild(el('pre', 'mlcheck-traceback', stripAnsi(run.message)));
    }
    status.appendChild(this.links(run));
    this.statusBox.replaceChildren(status);
    this.resultsBox.replaceChildren(this.checkTable(run, results));
  }

  private failedCell(run: IRun): HTMLElement {
    const cell = run.failed_cell!;
    const box = el('div', 'mlcheck-failed-cell');
    box.appendChild(el('div', 'mlcheck-error', `${cell.ename}: ${cell.evalue}`));
    box.appendChild(el('pre', 'mlcheck-source', cell.source));
    const details = el('details');
    details.appendChild(el('summary', '', 'traceback'));
    details.appendChild(el('pre', 'mlcheck-traceback', stripAnsi((cell.traceback ?? []).join('\n'))));
    box.appendChild(details);
    if (run.output_path) {
      const open = el('button', 'jp-Button mlcheck-link', run.state === 'cancelled' ? 'Open the cell it stopped in' : 'Open the failing cell');
      open.onclick = () => void this.openAt(run.output_path!, cell.cell_id ?? null);
      box.appendChild(open);
    }
    return box;
  }

  private links(run: IRun): HTMLElement {
    const box = el('div', 'mlcheck-links');
    if (run.report_path) {
      const report = el('a', 'mlcheck-link mlcheck-report-link', 'HTML report');
      report.href = URLExt.join(PageConfig.getBaseUrl(), 'files', URLExt.encodeParts(run.report_path));
      report.target = '_blank';
      report.rel = 'noopener';
      box.appendChild(report);
    }
    if (run.output_path) {
      const output = el('a', 'mlcheck-link', 'executed notebook');
      output.href = '#';
      output.onclick = event => {
        event.preventDefault();
        void this.openAt(run.output_path!, null);
      };
      box.appendChild(output);
    }
    if (run.run_dir) {
      const folder = el('a', 'mlcheck-link mlcheck-rundir-link', 'run directory');
      folder.href = '#';
      folder.title = run.run_dir;
      folder.onclick = event => {
        event.preventDefault();
        void this.commands.execute('filebrowser:go-to-path', { path: `/${run.run_dir}/` });
      };
      box.appendChild(folder);
    }
    return box;
  }

  private checkTable(run: IRun, results: ICheckResult[]): HTMLElement {
    const box = el('div', 'mlcheck-results');
    box.appendChild(el('div', 'mlcheck-section', 'Contracts'));
    if (!results.length) {
      box.appendChild(el('div', 'mlcheck-muted', 'This run recorded no checks.'));
      return box;
    }
    const table = el('table', 'mlcheck-check-table');
    const body = table.createTBody();
    for (const result of results) {
      const word = statusWord(result);
      const row = body.insertRow();
      row.className = `mlcheck-check-row mlcheck-row-${word.toLowerCase()}`;
      row.dataset.check = result.name;
      row.insertCell().appendChild(el('span', 'mlcheck-badge', word));
      const what = row.insertCell();
      what.appendChild(el('div', 'mlcheck-check-name', result.name));
      what.appendChild(
        el('div', 'mlcheck-check-values', `observed ${formatValue(result.observed)} · threshold ${formatValue(result.threshold)}`)
      );
      const broken = (result.outcomes ?? []).filter(o => !o.passed).map(o => o.subject);
      if (broken.length) {
        what.appendChild(el('div', 'mlcheck-check-broken', `failed: ${broken.join(', ')}`));
      }
      row.title = result.message || result.name;
      const cell = result.details?.cell_id;
      if (run.output_path && typeof cell === 'string' && cell) {
        row.classList.add('mlcheck-clickable');
        row.title += ' (click to open the executed notebook at this check)';
        row.onclick = () => void this.openAt(run.output_path!, cell);
      }
    }
    box.appendChild(table);
    const values = Object.entries(run.values ?? {});
    if (values.length) {
      box.appendChild(el('div', 'mlcheck-section', 'Recorded values'));
      const list = el('table', 'mlcheck-values');
      for (const [key, value] of values.slice(0, 30)) {
        const row = list.insertRow();
        row.insertCell().textContent = key;
        row.insertCell().textContent = formatValue(value);
      }
      box.appendChild(list);
    }
    return box;
  }

  /** Open the executed notebook and scroll to the cell whose id is ``cellId``. */
  async openAt(path: string, cellId: string | null): Promise<void> {
    const widget = (await this.commands.execute('docmanager:open', { path, factory: 'Notebook' })) as NotebookPanel;
    if (!widget || cellId === null) {
      return;
    }
    await widget.context.ready;
    await widget.revealed;
    const notebook = widget.content;
    const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
    if (index >= 0 && index < notebook.widgets.length) {
      notebook.activeCellIndex = index;
      await notebook.scrollToItem(index, 'center');
      notebook.activeCell?.node.classList.add('mlcheck-highlight');
    }
  }

  /** Settles when the panel shows the current notebook's parameters. */
  refreshDone: Promise<void> = Promise.resolve();
  private notebook: NotebookPanel | null = null;
  private fields: IField[] = [];
  private jobId: string | null = null;
  private timer = 0;
  private readonly header = el('div', 'mlcheck-header');
  private readonly formBox = el('div', 'mlcheck-form-box');
  private readonly actions = el('div', 'mlcheck-actions');
  private readonly statusBox = el('div', 'mlcheck-status-box');
  private readonly resultsBox = el('div', 'mlcheck-results-box');
  private readonly runButton = el('button', 'jp-Button jp-mod-accept mlcheck-run', 'Run as job');
  private readonly cancelButton = el('button', 'jp-Button jp-mod-warn mlcheck-cancel', 'Cancel');
}

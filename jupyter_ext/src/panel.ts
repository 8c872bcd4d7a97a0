/**
 * The mlcheck side panel for the active notebook: "Run as job" and the job's
 * status at the top, the parameters as a form, the check table of the run
 * shown, and the notebook's jobs and past runs.
 */
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { api, ApiError, ICheckResult, IFailedCell, IRun, RUNNING_STATES } from './api';
import { ParameterForm } from './form';
import { el, formatValue, statusWord, stripAnsi } from './format';
import { historyList, when } from './history';
import { ENDINGS, JobMonitor } from './monitor';

import { valueText } from './values';

export { checkValue, valueText } from './values';

/** Break opportunities after underscores, so `check_feature_shift` wraps between words. */
function wrappable(name: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  name.split(/(?<=_)/).forEach((part, i) => {
    if (i) {
      fragment.appendChild(document.createElement('wbr'));
    }
    fragment.appendChild(document.createTextNode(part));
  });
  return fragment;
}

function cellSources(cells: any[]): string {
  return JSON.stringify(
    cells.map(cell => [cell.cell_type, Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '')])
  );
}

export class MlcheckPanel extends Widget {
  constructor(
    private readonly commands: CommandRegistry,
    private readonly monitor: JobMonitor,
    private readonly contents: Contents.IManager
  ) {
    super();
    this.id = 'mlcheck-panel';
    this.addClass('mlcheck-panel');
    this.title.caption = 'mlcheck: parameters, jobs and contracts';
    this.statusBox.setAttribute('role', 'status');
    this.statusBox.setAttribute('aria-live', 'polite');
    this.runNote.hidden = true;
    this.node.append(this.header, this.actions, this.statusBox, this.formSection, this.resultsBox, this.historyBox);
    this.formSection.append(el('h3', 'mlcheck-section', 'Parameters'), this.runNote, this.form.node);
    this.runButton.type = 'button';
    this.cancelButton.type = 'button';
    this.resetButton.type = 'button';
    this.runButton.onclick = () => void this.runJob();
    this.cancelButton.onclick = () => void this.cancelJob();
    this.resetButton.onclick = () => this.form.reset();
    this.resetButton.title = "Put every parameter back to the notebook's default";
    this.monitorButton.type = 'button';
    this.monitorButton.title = "The notebook's job runs over time: metrics, drift, anomalies, breakouts and alerts";
    this.monitorButton.setAttribute('aria-label', 'Monitor runs of this notebook over time (opens a tab)');
    this.monitorButton.onclick = () =>
      void this.commands.execute('mlcheck:monitor-runs', { path: this.jobsPath ?? this.notebookPath ?? undefined });
    this.actions.append(this.runButton, this.cancelButton, this.resetButton);
    this.cancelButton.hidden = true;
    monitor.changed.connect(this.onJobs, this);
    monitor.ended.connect(this.onEnded, this);
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
    if (this.notebook) {
      this.notebook.context.pathChanged.disconnect(this.onPathChanged, this);
      this.notebook.context.fileChanged.disconnect(this.onSaved, this);
    }
    this.notebook = notebook;
    notebook?.context.pathChanged.connect(this.onPathChanged, this);
    notebook?.context.fileChanged.connect(this.onSaved, this);
    this.refreshDone = this.refresh();
  }

  private onPathChanged(): void {
    this.refreshDone = this.refresh(); // a rename: jobs are keyed by path, so follow the new one
  }

  /** The notebook was saved: its parameters cell may have changed. */
  private onSaved(): void {
    const path = this.notebookPath;
    if (!path) {
      return;
    }
    // Opening a notebook signals fileChanged too: wait for refresh to draw the form (with the values kept
    // for it) first, else the defaults were drawn, then replaced by the kept values (a flicker, a racy test).
    void this.refreshDone
      .then(() => api.parameters(path))
      .then(
      reply => {
        if (path === this.notebookPath && this.form.path === path && !reply.run) {
          this.form.update(reply.parameters);
          this.resetButton.disabled = this.form.fieldCount === 0;
        }
      },
      () => undefined // a half-written parameters cell: keep the form as it is
    );
  }

  /** Reload parameters, the latest run, the jobs and the history of this notebook. */
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
    this.header.replaceChildren(el('h2', 'mlcheck-title', 'mlcheck'), el('div', 'mlcheck-path', path));
    this.statusBox.replaceChildren();
    this.resultsBox.replaceChildren();
    this.followed = null;
    this.shown = null;
    const [parameters, latest, history] = await Promise.allSettled([api.parameters(path), api.latest(path), api.history(path)]);
    if (path !== this.notebookPath) {
      return; // the user switched notebooks meanwhile
    }
    this.runs = history.status === 'fulfilled' ? history.value.runs : [];
    this.jobsPath = path;
    if (parameters.status === 'fulfilled') {
      const { run } = parameters.value;
      if (run?.source_path) {
        // an executed notebook: the jobs and runs listed are those of the notebook it ran
        this.jobsPath = run.source_path;
        this.runs = await api.history(run.source_path).then(reply => reply.runs, () => []);
        if (path !== this.notebookPath) {
          return;
        }
      }
      this.form.show(path, parameters.value.parameters, run);
      this.runNote.hidden = !run;
      if (run) {
        const given = run.given.length ? `it was given ${run.given.join(', ')}` : 'it used the defaults';
        this.runNote.textContent = `The values run ${run.run_id} used (${given}).`;
      }
      this.runButton.textContent = run ? 'Run again with these' : 'Run as job';
      this.runButton.title = run
        ? `Run ${run.source_path ?? 'the notebook'} again with these values`
        : 'Run this notebook as an mlcheck job with these values';
      this.runButton.disabled = !!run && !run.source_path;
    } else {
      this.form.clear(`Could not read the parameters: ${parameters.reason.message}`);
      this.runNote.hidden = true;
      this.runButton.textContent = 'Run as job';
      this.runButton.disabled = false;
    }
    this.resetButton.disabled = this.form.fieldCount === 0;
    const active = this.activeJobs();
    if (active.length && !this.form.run) {
      this.follow(active[active.length - 1]);
    } else if (latest.status === 'fulfilled' && latest.value.run) {
      const run = latest.value.run;
      this.showRun(run, run.output_path === path ? `the run of this executed notebook` : 'latest run');
    } else if (latest.status === 'rejected') {
      this.showError(`Could not read the runs of this notebook: ${latest.reason.message}`);
    } else {
      this.resultsBox.replaceChildren(el('div', 'mlcheck-muted', 'No run of this notebook yet.'));
    }
    this.renderHistory();
  }

  private showEmpty(): void {
    this.header.replaceChildren(el('h2', 'mlcheck-title', 'mlcheck'));
    this.form.clear('Open a notebook to see its parameters and contracts.');
    this.runNote.hidden = true;
    this.statusBox.replaceChildren();
    this.resultsBox.replaceChildren();
    this.historyBox.replaceChildren();
    this.runButton.disabled = true;
    this.resetButton.disabled = true;
  }

  private activeJobs(): IRun[] {
    return this.monitor.active.filter(job => job.path === this.jobsPath);
  }

  // -- jobs --------------------------------------------------------------------------
  /** Validate the form, save the notebook if the user edited it, and start it as a job. */
  async runJob(allowDuplicate = false): Promise<void> {
    const path = this.notebookPath;
    if (!path || !this.notebook) {
      return;
    }
    const run = this.form.run;
    const target = run ? run.source_path : path;
    if (!target) {
      this.showError(`The notebook run ${run?.run_id} executed is gone; there is nothing to run again.`);
      return;
    }
    const invalid = this.form.invalid();
    if (invalid.length) {
      this.showError(`Fix ${invalid.length === 1 ? 'this value' : 'these values'} before running: ${invalid.join('; ')}`);
      return;
    }
    await this.start(target, this.form.values(), allowDuplicate, target === path);
  }

  /** Start `target` with `values`; follow it here when it is this panel's notebook. */
  async start(target: string, values: Record<string, string>, allowDuplicate: boolean, here: boolean): Promise<void> {
    this.runButton.disabled = true;
    try {
      if (here) {
        await this.saveIfEdited();
      }
      const job = await api.start(target, values, allowDuplicate);
      this.monitor.watch(job);
      if (here) {
        this.follow(job);
        this.renderHistory();
      } else {
        // "Run again" from an executed notebook: open the notebook the job runs, where its progress shows.
        await this.commands.execute('docmanager:open', { path: target, factory: 'Notebook' });
      }
    } catch (error) {
      this.startFailed(error as Error, target, values, here);
    } finally {
      this.runButton.disabled = this.followed !== null || !this.notebookPath;
    }
  }

  private startFailed(error: Error, target: string, values: Record<string, string>, here: boolean): void {
    const apiError = error instanceof ApiError ? error : null;
    this.resultsBox.replaceChildren(); // the previous run's table would read as this attempt's outcome
    this.shown = null;
    this.renderHistory();
    if (apiError?.parameter) {
      this.form.refuse(apiError.parameter, apiError.message);
      this.showError(`The job did not start: ${apiError.message.split('\n')[0]}`);
      return;
    }
    const box = el('div', 'mlcheck-error', `The job did not start: ${error.message}`);
    const status = el('div', 'mlcheck-status mlcheck-state-error');
    status.appendChild(box);
    if (apiError?.status === 409 && apiError.field === 'path') {
      const again = el('button', 'jp-Button mlcheck-small-button mlcheck-start-anyway', 'Start another one anyway');
      again.type = 'button';
      again.onclick = () => void this.start(target, values, true, here);
      status.appendChild(again);
    }
    this.statusBox.replaceChildren(status);
  }

  /**
   * Save the notebook if its cells differ from the file: the job runs the file on
   * disk. Opening a notebook can mark it modified for its kernel metadata alone;
   * that is not the user's edit, and the file is left as it is.
   */
  private async saveIfEdited(): Promise<void> {
    const context = this.notebook?.context;
    if (!context?.model.dirty) {
      return;
    }
    try {
      const disk = await this.contents.get(context.path, { content: true, type: 'notebook' });
      const here = (context.model.toJSON() as any).cells ?? [];
      if (cellSources(disk.content?.cells ?? []) === cellSources(here)) {
        return;
      }
    } catch {
      // cannot compare: save, as before
    }
    await context.save();
  }

  async cancelJob(run?: IRun): Promise<void> {
    const id = run ? run.id ?? run.run_id : this.followed;
    if (!id) {
      return;
    }
    if (id === this.followed) {
      this.cancelButton.disabled = true;
    }
    try {
      const reply = await api.cancel(id);
      if (id === this.followed) {
        this.showProgress(reply);
      }
    } catch (error) {
      this.showError(`Could not cancel: ${(error as Error).message}`);
      this.cancelButton.disabled = false;
    }
    this.monitor.pollSoon();
  }

  private follow(job: IRun): void {
    this.followed = job.id ?? job.run_id;
    this.runButton.disabled = true;
    this.cancelButton.hidden = false;
    this.cancelButton.disabled = job.state === 'cancelling';
    this.resultsBox.replaceChildren();
    this.shown = null;
    this.showProgress(job);
  }

  private stopFollowing(): void {
    this.followed = null;
    this.cancelButton.hidden = true;
    this.cancelButton.disabled = false;
    this.runButton.disabled = !this.notebookPath || (!!this.form.run && !this.form.run.source_path);
  }

  /** The monitor polled: update the followed job's progress and the job list. */
  private onJobs(): void {
    const active = this.activeJobs();
    const followed = active.find(job => (job.id ?? job.run_id) === this.followed);
    if (followed) {
      this.showProgress(followed);
      this.cancelButton.disabled = followed.state === 'cancelling';
    } else if (!this.followed && active.length && !this.form.run) {
      this.follow(active[active.length - 1]); // a job started elsewhere (a terminal, another tab)
    }
    this.renderHistory();
  }

  /** A job ended (the monitor has its final state). */
  private onEnded(_: JobMonitor, run: IRun): void {
    const id = run.id ?? run.run_id;
    if (run.path !== this.jobsPath) {
      return;
    }
    this.runs = [run, ...this.runs.filter(r => (r.id ?? r.run_id) !== id)];
    if (id === this.followed) {
      this.stopFollowing();
      this.showRun(run, 'this run');
      const next = this.activeJobs();
      if (next.length) {
        this.follow(next[next.length - 1]);
      }
    }
    this.renderHistory();
  }

  // -- display ------------------------------------------------------------------------
  private renderHistory(): void {
    if (!this.notebookPath) {
      return;
    }
    const list = historyList(this.activeJobs(), this.runs, this.shown, {
      show: run => void this.showById(run),
      rerun: run => void this.start(run.path ?? this.notebookPath!, this.givenValues(run), false, run.path === this.notebookPath),
      cancel: run => void this.cancelJob(run)
    });
    this.historyBox.replaceChildren(list);
    const heading = list.querySelector('h3');
    heading ? heading.after(this.monitorButton) : list.prepend(this.monitorButton); // beside the runs it draws
  }

  private givenValues(run: IRun): Record<string, string> {
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(run.given_parameters ?? {})) {
      values[name] = valueText(value);
    }
    return values;
  }

  /** Show a past run's results (the list holds summaries; fetch the full run). */
  async showById(run: IRun): Promise<void> {
    try {
      const full = await api.job(run.id ?? run.run_id);
      const started = when(full);
      this.showRun(full, started ? `run of ${started}` : 'a job that never started');
      this.statusBox.scrollIntoView({ block: 'nearest' });
    } catch (error) {
      this.showError(`Could not read that run: ${(error as Error).message}`);
    }
  }

  private showProgress(job: IRun): void {
    const progress = job.progress ?? { cell: null, n_cells: null, elapsed: null };
    const box = el('div', 'mlcheck-status mlcheck-status-running');
    const cell = progress.cell ?? 0;
    const total = progress.n_cells ?? 0;
    let label: string;
    if (job.state === 'queued') {
      label = `Queued: waiting for a free slot${job.position ? ` (${job.position} in line)` : ''}`;
    } else {
      const verb = job.state === 'cancelling' ? 'Cancelling' : 'Running';
      label = total > 0 && cell > 0 ? `${verb}: cell ${cell} of ${total}` : `${verb}: starting the kernel…`;
    }
    const elapsed = typeof progress.elapsed === 'number' ? ` · ${progress.elapsed.toFixed(1)} s` : '';
    box.appendChild(el('div', 'mlcheck-status-line', label + elapsed));
    const bar = el('progress', 'mlcheck-progress');
    bar.max = Math.max(total, 1);
    bar.value = total ? Math.max(cell - 1, 0) : 0;
    bar.setAttribute('aria-label', 'Job progress (cells finished)');
    bar.setAttribute('aria-valuetext', total ? `${Math.max(cell - 1, 0)} of ${total} cells finished` : 'starting');
    box.appendChild(bar);
    box.appendChild(el('div', 'mlcheck-muted', `run ${job.run_id}`));
    this.statusBox.replaceChildren(box);
  }

  private showError(message: string): void {
    const status = el('div', 'mlcheck-status mlcheck-state-error');
    status.appendChild(el('div', 'mlcheck-error', message));
    this.statusBox.replaceChildren(status);
  }

  /** A finished run: its status, the failing cell if any, links, and the check table. */
  private showRun(run: IRun, what: string): void {
    this.shown = run.id ?? run.run_id;
    const status = el('div', `mlcheck-status mlcheck-state-${run.state}`);
    const results = run.results ?? [];
    const failed = results.filter(r => !r.passed);
    const cellName = run.failed_cell?.cell ? `Cell ${run.failed_cell.cell}` : 'A cell';
    const summary: Record<string, string> = {
      succeeded: results.length ? `All ${results.length} checks held` : 'The job ran; no checks were recorded',
      failed: results.length ? `${failed.length} of ${results.length} checks failed` : 'The job failed',
      error: run.failed_cell ? `${cellName} raised ${run.failed_cell.ename}` : 'The job failed before running its cells',
      usage: 'The job was refused before it ran',
      timeout: 'The job timed out',
      died: 'The kernel died',
      cancelled: 'The job was cancelled'
    };
    const exit = typeof run.exit_code === 'number' ? `, exit ${run.exit_code}` : '';
    status.appendChild(el('div', 'mlcheck-status-line', `${summary[run.state] ?? ENDINGS[run.state] ?? run.state} (${what}${exit})`));
    if (run.failed_cell) {
      status.appendChild(this.failedCell(run, run.failed_cell));
    } else if (run.message && run.state !== 'succeeded' && run.state !== 'failed') {
      status.appendChild(el('pre', 'mlcheck-traceback mlcheck-message-text', stripAnsi(run.message)));
    }
    status.appendChild(this.links(run));
    this.statusBox.replaceChildren(status);
    this.resultsBox.replaceChildren(this.checkTable(run, results));
    this.renderHistory();
  }

  private failedCell(run: IRun, cell: IFailedCell): HTMLElement {
    const box = el('div', 'mlcheck-failed-cell');
    box.appendChild(el('div', 'mlcheck-error', `${cell.ename}: ${cell.evalue}`));
    box.appendChild(el('pre', 'mlcheck-source', cell.source));
    const details = el('details');
    details.appendChild(el('summary', '', 'traceback'));
    details.appendChild(el('pre', 'mlcheck-traceback', stripAnsi((cell.traceback ?? []).join('\n'))));
    box.appendChild(details);
    if (run.output_path) {
      const where = cell.cell ? ` (cell ${cell.cell})` : '';
      const text = run.state === 'cancelled' ? `Open the cell it stopped in${where}` : `Open the failing cell${where}`;
      const open = el('button', 'jp-Button mlcheck-link', text);
      open.type = 'button';
      open.onclick = () => void this.openAt(run.output_path!, cell.cell_id ?? null, cell.index ?? null);
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
        void this.openAt(run.output_path!, null, null);
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
    box.appendChild(el('h3', 'mlcheck-section', 'Contracts'));
    if (!results.length) {
      box.appendChild(el('div', 'mlcheck-muted', 'No checks recorded in this run.'));
      return box;
    }
    const table = el('table', 'mlcheck-check-table');
    table.setAttribute('aria-label', `Checks of run ${run.run_id}`);
    const body = table.createTBody();
    for (const result of results) {
      const word = statusWord(result);
      const row = body.insertRow();
      row.className = `mlcheck-check-row mlcheck-row-${word.toLowerCase()}`;
      row.dataset.check = result.name;
      row.insertCell().appendChild(el('span', 'mlcheck-badge', word));
      const what = row.insertCell();
      const cellId = typeof result.details?.cell_id === 'string' && result.details.cell_id ? result.details.cell_id : null;
      const number = typeof result.details?.cell === 'number' ? result.details.cell : null;
      const clickable = !!run.output_path && (cellId !== null || number !== null);
      const name = el(clickable ? 'button' : 'div', 'mlcheck-check-name');
      name.appendChild(wrappable(result.name));
      what.appendChild(name);
      const values = el('div', 'mlcheck-check-values');
      values.append(
        el('span', 'mlcheck-observed', `observed ${formatValue(result.observed)}`),
        el('span', 'mlcheck-threshold', `threshold ${formatValue(result.threshold)}`)
      );
      what.appendChild(values);
      const broken = (result.outcomes ?? []).filter(o => !o.passed).map(o => o.subject);
      if (broken.length) {
        what.appendChild(el('div', 'mlcheck-check-broken', `failed: ${broken.join(', ')}`));
      }
      row.title = result.message || result.name;
      if (clickable) {
        const open = () => void this.openAt(run.output_path!, cellId, cellId ? null : number);
        const where = number !== null ? ` (cell ${number})` : '';
        row.classList.add('mlcheck-clickable');
        row.title += ` — open the executed notebook at this check${where}`;
        (name as HTMLButtonElement).type = 'button';
        name.setAttribute('aria-label', `${result.name}: ${word}; open it in the executed notebook${where}`);
        row.onclick = event => {
          if (event.target !== name) {
            open();
          }
        };
        name.onclick = open;
      }
    }
    box.appendChild(table);
    const values = Object.entries(run.values ?? {});
    if (values.length) {
      box.appendChild(el('h3', 'mlcheck-section', 'Recorded values'));
      const list = el('table', 'mlcheck-values');
      for (const [key, value] of values.slice(0, 30)) {
        const row = list.insertRow();
        row.insertCell().appendChild(wrappable(key));
        row.insertCell().textContent = formatValue(value);
      }
      box.appendChild(list);
    }
    return box;
  }

  /**
   * Open the executed notebook at a cell: by its nbformat id when the run
   * recorded one, else by the user's cell number (older runs stored a position).
   */
  async openAt(path: string, cellId: string | null, fallback: number | null): Promise<void> {
    const widget = (await this.commands.execute('docmanager:open', { path, factory: 'Notebook' })) as NotebookPanel;
    if (!widget || (cellId === null && fallback === null)) {
      return;
    }
    await widget.context.ready;
    await widget.revealed;
    const notebook = widget.content;
    let index = cellId !== null ? notebook.widgets.findIndex(cell => cell.model.id === cellId) : -1;
    if (index < 0 && fallback !== null) {
      index = fallback;
    }
    if (index >= 0 && index < notebook.widgets.length) {
      notebook.activeCellIndex = index;
      await notebook.scrollToItem(index, 'center');
      notebook.activeCell?.node.classList.add('mlcheck-highlight');
    }
  }

  /** Settles when the panel shows the current notebook's parameters. */
  refreshDone: Promise<void> = Promise.resolve();
  private notebook: NotebookPanel | null = null;
  private followed: string | null = null;
  /** Whose jobs and runs the list shows: this notebook's, or for an executed notebook the one it ran. */
  private jobsPath: string | null = null;
  private shown: string | null = null;
  private runs: IRun[] = [];
  private readonly form = new ParameterForm(() => void this.runJob());
  private readonly header = el('div', 'mlcheck-header');
  private readonly actions = el('div', 'mlcheck-actions');
  private readonly statusBox = el('div', 'mlcheck-status-box');
  private readonly formSection = el('section', 'mlcheck-form-box');
  private readonly runNote = el('div', 'mlcheck-run-note');
  private readonly resultsBox = el('div', 'mlcheck-results-box');
  private readonly historyBox = el('div', 'mlcheck-history-box');
  private readonly runButton = el('button', 'jp-Button jp-mod-accept mlcheck-run', 'Run as job');
  private readonly cancelButton = el('button', 'jp-Button jp-mod-warn mlcheck-cancel', 'Cancel');
  private readonly resetButton = el('button', 'jp-Button jp-mod-reject mlcheck-reset', 'Reset to defaults');
  private readonly monitorButton = el('button', 'jp-Button mlcheck-small-button mlcheck-monitor-runs', 'Monitor runs');
}

export { RUNNING_STATES };

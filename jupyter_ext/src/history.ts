/**
 * The job list of the mlcheck panel: the notebook's jobs that are queued or
 * running (each with its progress and Cancel), then its past runs, newest
 * first: status, start time, duration, the parameters that differed from the
 * defaults, and buttons to show a run's results or to run it again with the
 * same values.
 */
import { IRun, RUNNING_STATES } from './api';
import { el, formatValue } from './format';

export interface IHistoryActions {
  show(run: IRun): void;
  rerun(run: IRun): void;
  cancel(run: IRun): void;
}

export const STATE_WORDS: Record<string, string> = {
  queued: 'queued',
  starting: 'starting',
  running: 'running',
  cancelling: 'cancelling',
  succeeded: 'passed',
  failed: 'failed',
  error: 'error',
  usage: 'refused',
  timeout: 'timed out',
  died: 'died',
  infrastructure: 'infrastructure',
  integrity: 'integrity',
  cancelled: 'cancelled'
};

function seconds(value: number | string | null | undefined): number | null {
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'string' && value) {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed / 1000;
  }
  return null;
}

/** "14:03" today, "Nov 28 14:03" on another day. */
export function when(run: IRun): string {
  const start = seconds(run.started) ?? seconds(run.queued);
  if (start === null) {
    return '';
  }
  const date = new Date(start * 1000);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === new Date().toDateString()) {
    return time;
  }
  return `${date.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

/** "4.2 s", "3 min 5 s", "1 h 02 min". */
export function duration(total: number | null | undefined): string {
  if (typeof total !== 'number' || !Number.isFinite(total)) {
    return '';
  }
  if (total < 60) {
    return `${total.toFixed(1)} s`;
  }
  const minutes = Math.floor(total / 60);
  if (minutes < 60) {
    return `${minutes} min ${Math.round(total % 60)} s`;
  }
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The parameters a run was given, as "name=value, …" ("defaults" when none). */
export function changedText(run: IRun): string {
  const given = Object.entries(run.given_parameters ?? {});
  if (!given.length) {
    return 'defaults';
  }
  return given.map(([name, value]) => `${name}=${formatValue(value)}`).join(', ');
}

function runDuration(run: IRun): number | null {
  if (typeof run.duration === 'number') {
    return run.duration;
  }
  const start = seconds(run.started);
  const end = seconds(run.ended);
  return start !== null && end !== null ? end - start : null;
}

function button(text: string, className: string, label: string, onclick: () => void): HTMLButtonElement {
  const node = el('button', `jp-Button mlcheck-small-button ${className}`, text);
  node.type = 'button';
  node.setAttribute('aria-label', label);
  node.onclick = onclick;
  return node;
}

function progressText(run: IRun): string {
  if (run.state === 'queued') {
    return run.position ? `waiting for a slot (${run.position} in the queue)` : 'waiting for a slot';
  }
  const progress = run.progress;
  if (progress?.cell && progress.n_cells) {
    return `cell ${progress.cell} of ${progress.n_cells}`;
  }
  return 'starting the kernel…';
}

/** The list element for `active` jobs and finished `runs` (newest first). */
export function historyList(active: IRun[], runs: IRun[], shown: string | null, actions: IHistoryActions): HTMLElement {
  const box = el('div', 'mlcheck-history');
  box.appendChild(el('h3', 'mlcheck-section', 'Jobs and runs'));
  const activeIds = new Set(active.map(run => run.id ?? run.run_id));
  const finished = runs.filter(run => !activeIds.has(run.id ?? run.run_id) && !RUNNING_STATES.includes(run.state));
  if (!active.length && !finished.length) {
    box.appendChild(el('div', 'mlcheck-muted', 'No job of this notebook yet.'));
    return box;
  }
  const list = el('ul', 'mlcheck-history-list');
  for (const run of [...active, ...finished]) {
    const id = run.id ?? run.run_id;
    const item = el('li', `mlcheck-history-item mlcheck-state-${run.state}`);
    item.dataset.run = id;
    if (id === shown) {
      item.classList.add('mlcheck-shown');
      item.setAttribute('aria-current', 'true');
    }
    const top = el('div', 'mlcheck-history-top');
    const ranEmpty = run.state === 'succeeded' && run.n_checks === 0; // nothing held or failed: it ran
    const word = ranEmpty ? 'ran' : STATE_WORDS[run.state] ?? run.state;
    top.append(el('span', `mlcheck-history-state mlcheck-word-${run.state}`, word), el('span', 'mlcheck-history-when', when(run)));
    const length = duration(runDuration(run));
    if (length) {
      top.appendChild(el('span', 'mlcheck-history-duration', length));
    }
    if (typeof run.n_checks === 'number' && !RUNNING_STATES.includes(run.state)) {
      const checks = run.n_checks
        ? `${run.n_failed ?? 0} of ${run.n_checks} checks failed`
        : 'no checks recorded';
      top.appendChild(el('span', 'mlcheck-history-checks', checks));
    }
    item.appendChild(top);
    const changed = el('div', 'mlcheck-history-params', changedText(run));
    changed.title = changed.textContent ?? '';
    item.appendChild(changed);
    const buttons = el('div', 'mlcheck-history-buttons');
    if (RUNNING_STATES.includes(run.state)) {
      item.appendChild(el('div', 'mlcheck-muted', progressText(run)));
      if (run.state !== 'cancelling') {
        buttons.appendChild(button('Cancel', 'mlcheck-history-cancel', `Cancel the job started ${when(run)}`, () => actions.cancel(run)));
      }
    } else {
      buttons.appendChild(button('Show', 'mlcheck-history-show', `Show the results of the run of ${when(run)}`, () => actions.show(run)));
      buttons.appendChild(
        button('Run again', 'mlcheck-history-rerun', `Run again with the values of the run of ${when(run)}`, () => actions.rerun(run))
      );
    }
    item.appendChild(buttons);
    list.appendChild(item);
  }
  box.appendChild(list);
  return box;
}

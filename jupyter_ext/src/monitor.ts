/**
 * Every mlcheck job of the server, watched in one place: the status-bar item
 * counts the running and queued ones, and a JupyterLab notification says how
 * each ended (with a button to show it in the panel).
 */
import { Notification } from '@jupyterlab/apputils';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { api, IRun, RUNNING_STATES } from './api';
import { el } from './format';

/** Poll quickly while jobs run, slowly otherwise (to notice runs started in a terminal). */
const BUSY_MS = 1000;
const IDLE_MS = 15000;

export const ENDINGS: Record<string, string> = {
  succeeded: 'every check held',
  failed: 'a check failed',
  error: 'a cell raised an error',
  usage: 'it was refused before it ran',
  timeout: 'it timed out',
  died: 'its kernel died',
  infrastructure: 'the machine failed it',
  integrity: "a bundle's files did not match",
  cancelled: 'it was cancelled'
};

/** Words for a job's end, e.g. "train.ipynb: a check failed (2 of 9 checks failed)". */
export function endingText(run: IRun): string {
  const name = (run.path ?? run.run_id).split('/').pop();
  const checks = run.results?.length ?? run.n_checks;
  const failed = run.results ? run.results.filter(r => !r.passed).length : run.n_failed;
  if (run.state === 'succeeded' && checks === 0) {
    return `mlcheck job ${name}: it ran; no checks were recorded`;
  }
  if (run.state === 'failed' && checks) {
    return `mlcheck job ${name}: ${failed} of ${checks} checks failed`;
  }
  return `mlcheck job ${name}: ${ENDINGS[run.state] ?? run.state}`;
}

export class JobMonitor {
  constructor(private readonly show: (run: IRun) => void) {
    void this.poll();
  }

  /** The jobs queued or running on the server (with their progress). */
  get active(): IRun[] {
    return this.jobs;
  }

  /** Emitted after each poll with the jobs queued or running. */
  get changed(): ISignal<this, IRun[]> {
    return this.changedSignal;
  }

  /** Emitted once per job that ended while watched, with its final state and results. */
  get ended(): ISignal<this, IRun> {
    return this.endedSignal;
  }

  /** A job was just started: watch it closely from now on. */
  watch(job: IRun): void {
    const id = job.id ?? job.run_id;
    if (!this.jobs.some(j => (j.id ?? j.run_id) === id)) {
      this.jobs = [...this.jobs, job];
      this.changedSignal.emit(this.jobs);
    }
    this.pollSoon();
  }

  /** Poll now (after a cancel, say) instead of waiting for the next tick. */
  pollSoon(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.poll(), 50);
  }

  dispose(): void {
    this.disposed = true;
    window.clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    window.clearTimeout(this.timer);
    if (this.disposed) {
      return;
    }
    try {
      const { jobs } = await api.jobs();
      const now = new Set(jobs.map(job => job.id ?? job.run_id));
      const gone = this.jobs.filter(job => !now.has(job.id ?? job.run_id));
      this.jobs = jobs;
      this.changedSignal.emit(jobs);
      for (const job of gone) {
        await this.settle(job);
      }
    } catch {
      // the server is away (restarting?): try again later
    }
    this.timer = window.setTimeout(() => void this.poll(), this.jobs.length ? BUSY_MS : IDLE_MS);
  }

  /** A job left the active list: fetch how it ended, tell the panel and notify. */
  private async settle(job: IRun): Promise<void> {
    const id = job.id ?? job.run_id;
    let final: IRun;
    try {
      final = await api.job(id);
    } catch {
      return;
    }
    if (RUNNING_STATES.includes(final.state) || this.notified.has(id)) {
      return;
    }
    this.notified.add(id);
    this.endedSignal.emit(final);
    const message = endingText(final);
    const options = {
      autoClose: 8000 as number | false,
      actions: [{ label: 'Show', caption: 'Show this run in the mlcheck panel', callback: () => this.show(final) }]
    };
    if (final.state === 'succeeded') {
      Notification.success(message, options);
    } else if (final.state === 'cancelled') {
      Notification.info(message, options);
    } else {
      Notification.error(message, { ...options, autoClose: false });
    }
  }

  private jobs: IRun[] = [];
  private readonly notified = new Set<string>();
  private timer = 0;
  private disposed = false;
  private readonly changedSignal = new Signal<this, IRun[]>(this);
  private readonly endedSignal = new Signal<this, IRun>(this);
}

/** The status-bar item: "mlcheck: 1 running · 2 queued"; a click opens the panel. */
export class JobStatusItem extends Widget {
  constructor(
    private readonly monitor: JobMonitor,
    onClick: () => void
  ) {
    super({ node: el('button', 'mlcheck-statusbar') });
    this.node.title = 'mlcheck jobs on this server (click to open the mlcheck panel)';
    this.node.onclick = onClick;
    monitor.changed.connect(this.refreshText, this);
    this.refreshText();
  }

  get activeStateChanged(): ISignal<this, void> {
    return this.activeSignal;
  }

  get isActive(): boolean {
    return this.monitor.active.length > 0;
  }

  private refreshText(): void {
    const jobs = this.monitor.active;
    const queued = jobs.filter(job => job.state === 'queued').length;
    const running = jobs.length - queued;
    const parts = [];
    if (running) {
      parts.push(`${running} running`);
    }
    if (queued) {
      parts.push(`${queued} queued`);
    }
    this.node.textContent = `mlcheck: ${parts.join(' · ')}`;
    this.node.setAttribute('aria-label', `mlcheck jobs: ${parts.join(', ') || 'none'}`);
    if (this.wasActive !== this.isActive) {
      this.wasActive = this.isActive;
      this.activeSignal.emit();
    }
  }

  private wasActive = false;
  private readonly activeSignal = new Signal<this, void>(this);
}

/**
 * The Monitor view: a notebook's job runs over time, in a main-area tab. The
 * page is the one `mlcheck monitor --html` writes (the server draws it, see
 * mlcheck_jupyter/monitorview.py); it is shown in a sandboxed frame that runs
 * no script and has no access to JupyterLab, so nothing in a run's recorded
 * values can act on the page around it. Refresh draws it again from the runs.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { api } from './api';
import { el } from './format';

class MonitorContent extends Widget {
  constructor(readonly path: string) {
    super();
    this.addClass('mlcheck-monitor-view');
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');
    // an empty sandbox: no script, no same-origin access, no forms, no pop-ups
    this.frame.setAttribute('sandbox', '');
    this.frame.title = `mlcheck monitor: the runs of ${path} over time`;
    this.frame.hidden = true;
    this.node.append(this.status, this.frame);
  }

  /** Fetch and show the page again; settles when it is shown (or the refusal is). */
  async refresh(): Promise<void> {
    // the detectors' first pass over a long series takes a while (cached by the server after)
    this.status.textContent = `Drawing the runs of ${this.path}… (the first time, a long series takes up to a minute)`;
    this.status.classList.remove('mlcheck-monitor-error');
    try {
      const page = await api.monitor(this.path);
      this.frame.srcdoc = page;
      this.frame.hidden = false;
      this.status.textContent = `The runs of ${this.path}, drawn at ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      this.frame.hidden = true;
      this.frame.srcdoc = '';
      this.status.classList.add('mlcheck-monitor-error');
      this.status.textContent = (error as Error).message;
    }
  }

  private readonly status = el('div', 'mlcheck-monitor-status');
  private readonly frame = el('iframe', 'mlcheck-monitor-frame');
}

/** A tab with the Monitor page of `path` and a Refresh button. */
export class MonitorView extends MainAreaWidget<MonitorContent> {
  constructor(path: string) {
    super({ content: new MonitorContent(path) });
    this.id = `mlcheck-monitor-${path}`;
    this.title.label = `Monitor: ${path.split('/').pop()}`;
    this.title.caption = `mlcheck: the job runs of ${path} over time`;
    this.title.closable = true;
    this.addClass('mlcheck-monitor');
    // a plain <button>, not a ToolbarButton: that one marks its <div> aria-pressed, which axe refuses there
    const refresh = new Widget({ node: el('button', 'jp-Button jp-mod-minimal mlcheck-monitor-refresh') });
    const button = refresh.node as HTMLButtonElement;
    button.type = 'button';
    button.title = `Draw the runs of ${path} again`;
    button.append(refreshIcon.element({ tag: 'span', className: 'mlcheck-monitor-refresh-icon' }), 'Refresh');
    button.onclick = () => void this.refresh();
    this.toolbar.addItem('refresh', refresh);
  }

  get path(): string {
    return this.content.path;
  }

  refresh(): Promise<void> {
    return this.content.refresh();
  }
}

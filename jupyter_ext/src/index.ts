/**
 * mlcheck in JupyterLab: the side panel, "Run as job" (notebook toolbar,
 * Run menu, file browser context menu, command palette, Accel+Alt+J), a
 * status-bar item for running jobs, a notification when a job ends, and, in
 * ./mime, the result card renderer.
 */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification, ToolbarButton } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import { LabIcon } from '@jupyterlab/ui-components';

import { api, IRun } from './api';
import { JobMonitor, JobStatusItem } from './monitor';
import { MonitorView } from './monitorview';
import { MlcheckPanel } from './panel';

export const CommandIDs = {
  runAsJob: 'mlcheck:run-as-job',
  runFileAsJob: 'mlcheck:run-file-as-job',
  openPanel: 'mlcheck:open-panel',
  monitorRuns: 'mlcheck:monitor-runs'
};

const SHORTCUT = 'Accel Alt J';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<path class="jp-icon3" fill="#616161" d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z"/>
<rect class="jp-icon3" fill="#616161" x="3" y="3" width="8" height="2"/></svg>`;

export const mlcheckIcon = new LabIcon({ name: 'mlcheck-jupyter:icon', svgstr: ICON_SVG });

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'mlcheck-jupyter:plugin',
  description: 'Parameters, Run as job, live progress, job history and contract results for mlcheck notebooks.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IMainMenu, IStatusBar, IDefaultFileBrowser, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null,
    statusBar: IStatusBar | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const showRun = (run: IRun) => {
      app.shell.activateById(panel.id);
      if (run.path && run.path !== panel.notebookPath) {
        void app.commands.execute('docmanager:open', { path: run.path, factory: 'Notebook' });
      } else {
        void panel.showById(run);
      }
    };
    const monitor = new JobMonitor(showRun);
    const panel = new MlcheckPanel(app.commands, monitor, app.serviceManager.contents);
    panel.title.icon = mlcheckIcon;
    panel.title.caption = `mlcheck: parameters, Run as job, job history and contracts (${SHORTCUT.replace('Accel', 'Ctrl')} runs the notebook)`;
    app.shell.add(panel, 'right', { rank: 600 });

    const follow = () => panel.setNotebook(tracker.currentWidget);
    const runAsJob = async (notebook: NotebookPanel | null) => {
      if (!notebook) {
        return;
      }
      panel.setNotebook(notebook);
      app.shell.activateById(panel.id);
      await panel.refreshDone;
      await panel.runJob();
    };
    tracker.currentChanged.connect(follow);
    follow();

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Show the mlcheck panel',
      caption: 'Parameters, jobs and contracts of the active notebook',
      icon: mlcheckIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.runAsJob, {
      label: 'Run Notebook as mlcheck Job',
      caption: 'Run this notebook as an mlcheck job with the values in the mlcheck panel',
      icon: mlcheckIcon,
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => runAsJob(tracker.currentWidget)
    });
    app.commands.addKeyBinding({ command: CommandIDs.runAsJob, keys: [SHORTCUT], selector: '.jp-Notebook' });

    app.commands.addCommand(CommandIDs.runFileAsJob, {
      label: 'Run as mlcheck Job',
      caption: "Run the selected notebook as an mlcheck job with its parameters' defaults",
      icon: mlcheckIcon,
      isVisible: () => {
        const item = fileBrowser?.selectedItems().next();
        return !!item && !item.done && item.value.path.endsWith('.ipynb');
      },
      execute: async () => {
        const item = fileBrowser?.selectedItems().next();
        if (!item || item.done) {
          return;
        }
        const path = item.value.path;
        try {
          const job = await api.start(path, {});
          monitor.watch(job);
          Notification.info(`mlcheck job started: ${path}`, {
            autoClose: 5000,
            actions: [
              {
                label: 'Open',
                caption: 'Open the notebook; the mlcheck panel follows its job',
                callback: () => {
                  void app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
                  app.shell.activateById(panel.id);
                }
              }
            ]
          });
        } catch (error) {
          Notification.error(`mlcheck job for ${path} did not start: ${(error as Error).message}`, { autoClose: false });
        }
      }
    });
    app.contextMenu.addItem({
      command: CommandIDs.runFileAsJob,
      selector: '.jp-DirListing-item[data-file-type="notebook"]',
      rank: 3
    });

    // one Monitor tab per notebook: asked again, it comes to the front and is drawn again
    const monitorViews = new Map<string, MonitorView>();
    const monitoredPath = (args: { path?: unknown }) =>
      typeof args.path === 'string' ? args.path : panel.notebookPath ?? tracker.currentWidget?.context.path ?? null;
    app.commands.addCommand(CommandIDs.monitorRuns, {
      label: 'mlcheck: Monitor runs of this notebook',
      caption: "The notebook's job runs over time: metrics, drift per feature, anomalies, breakouts and alerts",
      icon: mlcheckIcon,
      isEnabled: args => monitoredPath(args) !== null,
      execute: async args => {
        const path = monitoredPath(args);
        if (!path) {
          return;
        }
        let view = monitorViews.get(path);
        if (!view || view.isDisposed) {
          view = new MonitorView(path);
          monitorViews.set(path, view);
          view.disposed.connect(() => monitorViews.delete(path));
          app.shell.add(view, 'main', { mode: 'split-right' });
        }
        app.shell.activateById(view.id);
        await view.refresh();
      }
    });

    mainMenu?.runMenu.addGroup([{ command: CommandIDs.runAsJob }, { command: CommandIDs.openPanel }], 1000);
    palette?.addItem({ command: CommandIDs.runAsJob, category: 'mlcheck' });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'mlcheck' });
    palette?.addItem({ command: CommandIDs.monitorRuns, category: 'mlcheck' });

    if (statusBar) {
      const item = new JobStatusItem(monitor, () => app.shell.activateById(panel.id));
      statusBar.registerStatusItem('mlcheck-jupyter:jobs', {
        item,
        align: 'left',
        rank: 50,
        isActive: () => item.isActive,
        activeStateChanged: item.activeStateChanged
      });
    }

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (notebook: NotebookPanel) => {
        const button = new ToolbarButton({
          className: 'mlcheck-toolbar-run',
          label: 'Run as job',
          icon: mlcheckIcon,
          tooltip: `Run this notebook as an mlcheck job (${SHORTCUT.replace('Accel', 'Ctrl')})`,
          onClick: () => void runAsJob(notebook)
        });
        notebook.toolbar.insertAfter('cellType', 'mlcheckRunAsJob', button);
        return button;
      }
    });
  }
};

export default plugin;

/**
 * mlcheck in JupyterLab: the side panel, the "Run as job" command (toolbar
 * button and palette item) and, in ./mime, the result card renderer.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, ToolbarButton } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { MlcheckPanel } from './panel';

export const CommandIDs = {
  runAsJob: 'mlcheck:run-as-job',
  openPanel: 'mlcheck:open-panel'
};

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<path class="jp-icon3" fill="#616161" d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z"/>
<rect class="jp-icon3" fill="#616161" x="3" y="3" width="8" height="2"/></svg>`;

export const mlcheckIcon = new LabIcon({ name: 'mlcheck-jupyter:icon', svgstr: ICON_SVG });

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'mlcheck-jupyter:plugin',
  description: 'Parameters, Run as job, live progress and contract results for mlcheck notebooks.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null
  ) => {
    const panel = new MlcheckPanel(app.commands);
    panel.title.icon = mlcheckIcon;
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
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.runAsJob, {
      label: 'Run as job',
      caption: 'Run this notebook as an mlcheck job with the parameters in the mlcheck panel',
      icon: mlcheckIcon,
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => runAsJob(tracker.currentWidget)
    });
    palette?.addItem({ command: CommandIDs.runAsJob, category: 'mlcheck' });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'mlcheck' });

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (notebook: NotebookPanel) => {
        const button = new ToolbarButton({
          className: 'mlcheck-toolbar-run',
          label: 'Run as job',
          icon: mlcheckIcon,
          tooltip: 'Run this notebook as an mlcheck job',
          onClick: () => void runAsJob(notebook)
        });
        notebook.toolbar.insertAfter('cellType', 'mlcheckRunAsJob', button);
        return button;
      }
    });
  }
};

export default plugin;

/**
 * The MIME renderer for `application/vnd.mlcheck.result+json`.
 *
 * Notebooks keep the HTML and text fallbacks beside this payload, so a
 * notebook without this extension (nbconvert, GitHub, VS Code) still shows a card.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { IPayload, MIME_TYPE, renderPayload } from './card';

export class ResultWidget extends Widget implements IRenderMime.IRenderer {
  constructor() {
    super();
    this.addClass('mlcheck-rendered');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const payload = model.data[MIME_TYPE] as unknown as IPayload;
    this.node.replaceChildren(renderPayload(payload));
  }
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  defaultRank: 40,
  createRenderer: () => new ResultWidget()
};

const extension: IRenderMime.IExtension = {
  id: 'mlcheck-jupyter:mime',
  description: 'Renders mlcheck check results as cards.',
  rendererFactory,
  rank: 40,
  dataType: 'json'
};

export default extension;

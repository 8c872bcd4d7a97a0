/**
 * The mlcheck server extension's REST API (under `<base_url>/mlcheck/`).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IParameter {
  name: string;
  type_name: string;
  default: unknown;
  default_source: string;
  comment: string;
}

export interface IOutcome {
  subject: string;
  passed: boolean;
  observed: unknown;
  threshold: unknown;
  message: string;
}

export interface ICheckResult {
  name: string;
  passed: boolean;
  severity: 'error' | 'warning';
  observed: unknown;
  threshold: unknown;
  details: Record<string, any>;
  message: string;
  outcomes: IOutcome[];
}

/**
 * Where a run stopped. `cell` is the user's cell number (1-based among the
 * notebook's own code cells as JupyterLab shows them; null for a set-up cell);
 * `cell_id` finds the cell in output.ipynb.
 */
export interface IFailedCell {
  cell: number | null;
  cell_id: string;
  source: string;
  ename: string;
  evalue: string;
  traceback: string[];
}

/**
 * How a run stands or ended: the words of mlcheck.runs.rundir.Status
 * (tests/test_rundir.py checks this list against its JSON Schema).
 */
export type RunStatus =
  | 'queued'
  | 'starting'
  | 'running'
  | 'cancelling'
  | 'succeeded'
  | 'failed'
  | 'usage'
  | 'error'
  | 'timeout'
  | 'died'
  | 'infrastructure'
  | 'integrity'
  | 'cancelled';

export interface IProgress {
  cell: number | null;
  n_cells: number | null;
  elapsed: number | null;
}

/** A job (while it runs) or a finished run (from its run.json). */
export interface IRun {
  id?: string;
  run_id: string;
  path: string | null;
  run_dir: string | null;
  state: RunStatus;
  progress?: IProgress;
  exit_code?: number | null;
  message?: string;
  parameters?: Record<string, unknown>;
  results?: ICheckResult[];
  values?: Record<string, unknown>;
  failed_cell?: IFailedCell | null;
  output_path?: string | null;
  report_path?: string | null;
  duration?: number | null;
}

/** The statuses of a run that has not ended (no exit code yet). */
export const RUNNING_STATES: RunStatus[] = ['queued', 'starting', 'running', 'cancelling'];

/** An error reply of the server, with the offending parameter when there is one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly parameter: string | null = null
  ) {
    super(message);
  }
}

export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'mlcheck', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) {
    throw new ApiError(
      data.message || `${response.status} ${response.statusText}`,
      response.status,
      data.parameter ?? null
    );
  }
  return data as T;
}

const q = (path: string) => `?path=${encodeURIComponent(path)}`;

export const api = {
  parameters: (path: string) =>
    requestAPI<{ path: string; parameters: IParameter[] }>(
      `parameters${q(path)}`
    ),
  latest: (path: string) =>
    requestAPI<{ path: string; run: IRun | null }>(`runs/latest${q(path)}`),
  jobs: (path: string) => requestAPI<{ jobs: IRun[] }>(`jobs${q(path)}`),
  job: (id: string) => requestAPI<IRun>(`jobs/${encodeURIComponent(id)}`),
  start: (path: string, parameters: Record<string, string>) =>
    requestAPI<IRun>('jobs', {
      method: 'POST',
      body: JSON.stringify({ path, parameters })
    }),
  cancel: (id: string) =>
    requestAPI<IRun>(`jobs/${encodeURIComponent(id)}`, { method: 'DELETE' })
};

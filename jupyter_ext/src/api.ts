/**
 * The mlcheck server extension's REST API (under `<base_url>/mlcheck/`).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IRange } from './values';

export interface IParameter {
  name: string;
  type_name: string;
  default: unknown;
  default_source: string;
  comment: string;
  /** From the comment's `in [0, 1]`; null when it declares none. */
  range: IRange | null;
  /** What the author should know about the range: text read as help, or a default that cannot be checked; "" if none. */
  note?: string;
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
  /** The user's number of the cell (1-based among the notebook's own code cells). */
  cell?: number | null;
  /** The cell's nbformat id, to find it in the executed notebook. */
  cell_id?: string | null;
  /** Position in the executed notebook (runs written before cell ids were recorded). */
  index?: number;
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

/** A job (queued, running) or a finished run (from its run.json). */
export interface IRun {
  id?: string;
  run_id: string;
  path: string | null;
  run_dir: string | null;
  state: RunStatus;
  progress?: IProgress;
  /** Place in the queue (1 = next) while the job waits for a slot. */
  position?: number;
  exit_code?: number | null;
  message?: string;
  parameters?: Record<string, unknown>;
  /** The values given for this run (the ones that differ from the notebook's defaults). */
  given_parameters?: Record<string, unknown>;
  results?: ICheckResult[];
  values?: Record<string, unknown>;
  failed_cell?: IFailedCell | null;
  output_path?: string | null;
  report_path?: string | null;
  /** Seconds since the epoch (a job of this server) or ISO 8601 text (a run.json). */
  started?: number | string | null;
  ended?: number | string | null;
  queued?: number | null;
  duration?: number | null;
  n_checks?: number;
  n_failed?: number;
  started_elsewhere?: boolean;
}

/** For the executed notebook of a run: the values that run used. */
export interface IRunValues {
  run_id: string;
  /** The notebook the run executed (to run it again), or null when it is gone. */
  source_path: string | null;
  /** Every parameter's value as form text. */
  values: Record<string, string>;
  /** Names of the parameters the run was given (the rest were defaults). */
  given: string[];
}

/** The statuses of a run that has not ended (no exit code yet). */
export const RUNNING_STATES: RunStatus[] = ['queued', 'starting', 'running', 'cancelling'];

/** An error reply of the server, with the request field and parameter at fault when known. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly parameter: string | null = null,
    readonly field: string | null = null
  ) {
    super(message);
  }
}

export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {},
  asText = false
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'mlcheck', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(
      'The Jupyter server could not be reached; check that it is still running.',
      0
    );
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = null; // an HTML error page: a server failure, not a refusal with a reason
  }
  if (!response.ok) {
    const message =
      data?.message ||
      (response.status === 404
        ? 'The mlcheck server extension is not enabled on this Jupyter server (pip install mlcheck-jupyter, then restart it).'
        : `The server failed (${response.status} ${response.statusText}); the Jupyter server's log says why.`);
    throw new ApiError(message, response.status, data?.parameter ?? null, data?.field ?? null);
  }
  if (asText) {
    return text as T; // a page (the monitor's HTML); its refusals are JSON like the rest
  }
  return (data ?? {}) as T;
}

const q = (path: string) => `?path=${encodeURIComponent(path)}`;

export const api = {
  parameters: (path: string) =>
    requestAPI<{ path: string; parameters: IParameter[]; run: IRunValues | null }>(
      `parameters${q(path)}`
    ),
  /** Check values as a job would, starting nothing (400 names the parameter at fault). */
  check: (path: string, parameters: Record<string, string>) =>
    requestAPI<{ path: string; parameters: Record<string, unknown> }>('parameters', {
      method: 'POST',
      body: JSON.stringify({ path, parameters })
    }),
  latest: (path: string) =>
    requestAPI<{ path: string; run: IRun | null }>(`runs/latest${q(path)}`),
  history: (path: string, limit = 20) =>
    requestAPI<{ path: string; runs: IRun[] }>(`runs${q(path)}&limit=${limit}`),
  /** Jobs queued or running: of one notebook, or of every notebook. */
  jobs: (path?: string) =>
    requestAPI<{ jobs: IRun[] }>(path ? `jobs${q(path)}` : 'jobs'),
  job: (id: string) => requestAPI<IRun>(`jobs/${encodeURIComponent(id)}`),
  start: (
    path: string,
    parameters: Record<string, string>,
    allowDuplicate = false
  ) =>
    requestAPI<IRun>('jobs', {
      method: 'POST',
      body: JSON.stringify({ path, parameters, allow_duplicate: allowDuplicate })
    }),
  cancel: (id: string) =>
    requestAPI<IRun>(`jobs/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** The notebook's job runs over time as one HTML page (no script); 404 when it has none. */
  monitor: (path: string) => requestAPI<string>(`monitor${q(path)}`, {}, true)
};

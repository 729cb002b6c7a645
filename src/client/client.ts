/**
 * A typed client for Lepton's HTTP API (Node 20's fetch; no dependencies). Errors come back
 * as `LeptonApiError` with the server's status, code, message and hint.
 * @example
 *   const lepton = new LeptonClient({ baseUrl: 'http://localhost:8080', apiKey: process.env.LEPTON_KEY! });
 *   await lepton.uploadDataset('demo', 'credit', await readFile('credit-g.arff'), 'arff');
 *   const run = await lepton.startRun('demo', { dataset: 'credit', target: 'class', register: { name: 'credit' } });
 *   for await (const e of lepton.runEvents('demo', run.id)) console.log(e.type);
 *   await lepton.setAlias('demo', 'credit', 'production', 1);
 *   const { predictions } = await lepton.predict('demo', 'credit', [{ duration: 12, ... }]);
 * @module
 */
import type { z } from 'zod';
import type { DatasetRecord as DatasetRecordZ, PredictResponse, StartRunBody } from '../serve/schemas.js';
import type { AuditEntry, ModelVersion, Role, RunRecord } from '../registry/registry.js';
import type { RunEvent } from '../jobs/training-job.js';
import type { QualityReport } from '../data/inspect.js';

export type DatasetFormat = 'csv' | 'tsv' | 'arff' | 'jsonl' | 'json' | 'parquet' | 'xlsx';
export type Row = Record<string, string | number | boolean | null>;

export class LeptonApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'LeptonApiError';
  }
}

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
}

export class LeptonClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.base = options.baseUrl.replace(/\/$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** A client for the same server with another key. */
  withKey(apiKey: string): LeptonClient {
    return new LeptonClient({ ...this.options, apiKey });
  }

  async health(): Promise<{ status: string }> {
    return this.request('GET', '/healthz');
  }

  async createKey(project: string, role: Role, name: string): Promise<{ id: number; key: string; role: Role }> {
    return this.request('POST', `/v1/projects/${project}/keys`, { role, name });
  }

  async revokeKey(project: string, id: number): Promise<void> {
    await this.request('DELETE', `/v1/projects/${project}/keys/${id}`);
  }

  /**
   * Uploads a file as a dataset version. `encoding` names a non-UTF-8 text file (stored as
   * UTF-8); `pii` treats personal data before storing (`'hash'`, or `'email=hash,phone=drop'`).
   */
  async uploadDataset(project: string, name: string, content: Uint8Array | string, format: DatasetFormat, opts: { encoding?: 'utf-8' | 'latin1' | 'windows-1252' | 'utf-16le'; pii?: string } = {}): Promise<z.infer<typeof DatasetRecordZ>> {
    const query = new URLSearchParams({ format, ...(opts.encoding ? { encoding: opts.encoding } : {}), ...(opts.pii ? { pii: opts.pii } : {}) });
    return this.request('PUT', `/v1/projects/${project}/datasets/${name}?${query}`, typeof content === 'string' ? Buffer.from(content) : content);
  }

  async datasets(project: string): Promise<{ datasets: unknown[] }> {
    return this.request('GET', `/v1/projects/${project}/datasets`);
  }

  async inspectDataset(project: string, name: string, options: { version?: number; target?: string } = {}): Promise<QualityReport> {
    const q = new URLSearchParams();
    if (options.version !== undefined) q.set('version', String(options.version));
    if (options.target) q.set('target', options.target);
    return this.request('GET', `/v1/projects/${project}/datasets/${name}/inspect${q.size ? `?${q}` : ''}`);
  }

  /** Cleans a dataset version by policy into a new version. */
  async cleanDataset(project: string, name: string, policy: Record<string, unknown> = {}, version?: number): Promise<{ dataset: { name: string; version: number }; changes: string[]; report: Record<string, unknown> }> {
    return this.request('POST', `/v1/projects/${project}/datasets/${name}/clean`, { policy, ...(version ? { version } : {}) });
  }

  /** Masks, hashes or drops personal data into a new dataset version. */
  async maskDataset(project: string, name: string, policy: Record<string, 'keep' | 'mask' | 'hash' | 'drop'> = {}, version?: number): Promise<{ dataset: { name: string; version: number }; transforms: string[] }> {
    return this.request('POST', `/v1/projects/${project}/datasets/${name}/mask`, { policy, ...(version ? { version } : {}) });
  }

  async startRun(project: string, body: StartRunBody): Promise<{ id: number; status: string; events: string }> {
    return this.request('POST', `/v1/projects/${project}/runs`, body);
  }

  /** The project's runs, newest first. */
  async runs(project: string): Promise<{ runs: RunRecord[] }> {
    return this.request('GET', `/v1/projects/${project}/runs`);
  }

  async run(project: string, id: number): Promise<RunRecord & { series: { candidate: string; step: number; metrics: Record<string, number | null> }[] }> {
    return this.request('GET', `/v1/projects/${project}/runs/${id}`);
  }

  async cancelRun(project: string, id: number): Promise<void> {
    await this.request('POST', `/v1/projects/${project}/runs/${id}/cancel`);
  }

  /** Follows a run's Server-Sent Events until it finishes. */
  async *runEvents(project: string, id: number): AsyncGenerator<RunEvent | { type: 'status'; runId: number; status: string }> {
    const res = await this.fetchImpl(`${this.base}/v1/projects/${project}/runs/${id}/events`, { headers: this.headers() });
    if (!res.ok || !res.body) throw await toError(res);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) yield JSON.parse(data.slice(6)) as RunEvent;
      }
    }
  }

  async models(project: string): Promise<{ models: { name: string; latest: number; versions: number; aliases: Record<string, number> }[] }> {
    return this.request('GET', `/v1/projects/${project}/models`);
  }

  async modelVersions(project: string, name: string): Promise<{ versions: ModelVersion[] }> {
    return this.request('GET', `/v1/projects/${project}/models/${name}`);
  }

  /** Registers a model file's bytes as the next version of `name`. */
  async registerModel(project: string, name: string, file: Uint8Array): Promise<ModelVersion> {
    return this.request('POST', `/v1/projects/${project}/models/${name}/versions`, file);
  }

  async deployments(project: string): Promise<{ deployments: { model: string; alias: string; version: number | null; config: Record<string, unknown>; since: string }[] }> {
    return this.request('GET', `/v1/projects/${project}/deployments`);
  }

  async setAlias(project: string, name: string, alias: string, version: number): Promise<{ alias: string; version: number; previous: number | null }> {
    return this.request('PUT', `/v1/projects/${project}/models/${name}/aliases/${alias}`, { version });
  }

  async rollbackAlias(project: string, name: string, alias: string): Promise<{ alias: string; version: number; previous: number }> {
    return this.request('POST', `/v1/projects/${project}/models/${name}/aliases/${alias}/rollback`);
  }

  /** Predicts one row or a batch, by alias (default production) or version. */
  async predict(project: string, name: string, rows: Row | Row[], ref: { alias?: string; version?: number } = {}): Promise<PredictResponse> {
    const q = ref.version !== undefined ? `?version=${ref.version}` : ref.alias ? `?alias=${encodeURIComponent(ref.alias)}` : '';
    return this.request('POST', `/v1/projects/${project}/models/${name}/predict${q}`, Array.isArray(rows) ? { rows } : { row: rows });
  }

  /** Predicts image files (their bytes, or base64 strings) with an image model. */
  async predictImages(project: string, name: string, images: readonly (Uint8Array | string)[], ref: { alias?: string; version?: number } = {}): Promise<PredictResponse> {
    const q = ref.version !== undefined ? `?version=${ref.version}` : ref.alias ? `?alias=${encodeURIComponent(ref.alias)}` : '';
    const encoded = images.map((i) => (typeof i === 'string' ? i : Buffer.from(i).toString('base64')));
    return this.request('POST', `/v1/projects/${project}/models/${name}/predict${q}`, { images: encoded });
  }

  /** Predicts texts with a text model; `truncated` counts the texts cut at the model's seqLen. */
  async predictTexts(project: string, name: string, texts: readonly string[], ref: { alias?: string; version?: number } = {}): Promise<PredictResponse> {
    const q = ref.version !== undefined ? `?version=${ref.version}` : ref.alias ? `?alias=${encodeURIComponent(ref.alias)}` : '';
    return this.request('POST', `/v1/projects/${project}/models/${name}/predict${q}`, { texts });
  }

  /**
   * Top-k items for a history with a recommendation model (unknown items ignored and listed in
   * `unknown`; an empty history gets the most popular items, `coldStart`).
   * @example
   *   const { recommendations } = await lepton.recommend('shop', 'baskets', ['tea', 'biscuits'], 5);
   */
  async recommend(project: string, name: string, history: readonly string[], k = 10, ref: { alias?: string; version?: number } = {}): Promise<PredictResponse> {
    const q = ref.version !== undefined ? `?version=${ref.version}` : ref.alias ? `?alias=${encodeURIComponent(ref.alias)}` : '';
    return this.request('POST', `/v1/projects/${project}/models/${name}/predict${q}`, { history, k });
  }

  async audit(project: string): Promise<{ entries: AuditEntry[] }> {
    return this.request('GET', `/v1/projects/${project}/audit`);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}), ...extra };
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const raw = body instanceof Uint8Array;
    const res = await this.fetchImpl(`${this.base}${path}`, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }),
      body: body === undefined ? undefined : raw ? new Blob([body as Uint8Array<ArrayBuffer>]) : JSON.stringify(body),
    });
    if (!res.ok) throw await toError(res);
    return (await res.json()) as T;
  }
}

async function toError(res: Response): Promise<LeptonApiError> {
  let body: { error?: string; code?: string; hint?: string } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON: keep the status line
  }
  return new LeptonApiError(res.status, body.code ?? `HTTP_${res.status}`, body.error ?? res.statusText, body.hint);
}

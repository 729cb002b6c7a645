/**
 * Micro-batching of concurrent predictions for one model version. Requests queue their
 * feature rows; a batch goes to the engine when it holds `maxBatchRows` rows or `maxWaitMs`
 * after its first request arrived, whichever is first. A batch never exceeds `maxBatchRows`
 * (requests are never split), and a lone request waits at most `maxWaitMs`. Several batches
 * may be in the engine at once (libuv's thread pool runs them in parallel).
 * @module
 */
import type { LeptonModel } from '../models/model.js';
import type { ServerMetrics } from './metrics.js';

export interface BatchOptions {
  /** Largest number of rows in one engine call; 1 turns batching off. */
  maxBatchRows: number;
  maxWaitMs: number;
}

interface Pending {
  x: Float32Array;
  rows: number;
  resolve: (out: Float32Array) => void;
  reject: (e: unknown) => void;
}

export class Batcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly model: LeptonModel,
    private readonly options: BatchOptions,
    private readonly label: string,
    private readonly metrics?: ServerMetrics,
  ) {}

  /** Raw outputs (rows × outputDim) for already-transformed features. */
  submit(x: Float32Array, rows: number): Promise<Float32Array> {
    if (this.options.maxBatchRows <= 1 || rows >= this.options.maxBatchRows) return this.run([{ x, rows, resolve: () => {}, reject: () => {} }], true);
    return new Promise((resolve, reject) => {
      this.queue.push({ x, rows, resolve, reject });
      this.queuedRows += rows;
      this.metrics?.queueDepth.set({ model: this.label }, this.queuedRows);
      if (this.queuedRows >= this.options.maxBatchRows) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let rows = 0;
      while (this.queue.length > 0 && rows + this.queue[0]!.rows <= this.options.maxBatchRows) {
        const p = this.queue.shift()!;
        rows += p.rows;
        batch.push(p);
      }
      this.queuedRows -= rows;
      void this.run(batch, false);
      // What is left is less than a full batch: give it its own wait, like a new arrival.
      if (this.queuedRows < this.options.maxBatchRows) break;
    }
    this.metrics?.queueDepth.set({ model: this.label }, this.queuedRows);
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
  }

  private async run(batch: Pending[], direct: boolean): Promise<Float32Array> {
    const rows = batch.reduce((s, p) => s + p.rows, 0);
    this.metrics?.batchSize.observe({ model: this.label }, rows);
    let x: Float32Array;
    if (batch.length === 1) x = batch[0]!.x;
    else {
      x = new Float32Array(batch.reduce((s, p) => s + p.x.length, 0));
      let o = 0;
      for (const p of batch) {
        x.set(p.x, o);
        o += p.x.length;
      }
    }
    try {
      const out = await this.model.predictFeatures(x);
      if (direct) return out;
      const k = out.length / rows;
      let o = 0;
      for (const p of batch) {
        p.resolve(out.subarray(o * k, (o + p.rows) * k));
        o += p.rows;
      }
      return out;
    } catch (e) {
      if (direct) throw e;
      for (const p of batch) p.reject(e);
      return new Float32Array(0);
    }
  }
}

/**
 * Micro-batching of concurrent predictions for one model version. While the engine has a free
 * slot (fewer than `maxInFlight` calls running), a request goes to it at once: a lone request
 * at low traffic is never held back. While every slot is busy, arriving requests queue; each
 * time a call finishes, the queue goes to the engine as one batch of at most `maxBatchRows`
 * rows (requests are never split). A request waits in the queue no longer than `maxWaitMs`
 * beyond a slot being busy: then it runs even if it must wait for threads in the pool.
 *
 * A small request that is alone (the event loop has spare time and no other request holds
 * this model) runs on the calling thread: the thread-pool round trip costs more than a small
 * forward pass. Under load the engine work goes to the pool instead, so that the main thread
 * keeps parsing requests while the other cores compute. A model
 * whose inline calls take longer than `SYNC_BUDGET_MS` several times in a row (not just the
 * first, cold one) stops using that path.
 * @module
 */
import type { LeptonModel } from '../models/model.js';
import type { ServerMetrics } from './metrics.js';

export interface BatchOptions {
  /** Largest number of rows in one engine call; 1 turns batching off. */
  maxBatchRows: number;
  /** Longest a queued request waits for a free engine slot before running anyway. */
  maxWaitMs: number;
  /** Engine calls at once for this model (default 2: one per core here). */
  maxInFlight?: number;
}

/** Rows a lone request may have to run inline, and the longest inline call tolerated. */
const SYNC_MAX_ROWS = 8;
const SYNC_BUDGET_MS = 1;

interface Pending {
  x: Float32Array;
  rows: number;
  resolve: (out: Float32Array) => void;
  reject: (e: unknown) => void;
}

export class Batcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxInFlight: number;
  private inlineOk = true;
  private slowInline = 0;

  constructor(
    private readonly model: LeptonModel,
    private readonly options: BatchOptions,
    private readonly label: string,
    private readonly metrics?: ServerMetrics,
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
  }

  /** Raw outputs (rows × outputDim) for already-transformed features; `alone`: the server is not busy with others. */
  submit(x: Float32Array, rows: number, alone = false): Promise<Float32Array> {
    if (alone && this.inlineOk && rows <= SYNC_MAX_ROWS && this.inFlight === 0 && this.queue.length === 0) {
      const t0 = performance.now();
      try {
        const out = this.model.predictFeaturesSync(x);
        this.metrics?.batchSize.observe({ model: this.label }, rows);
        return Promise.resolve(out);
      } catch (e) {
        return Promise.reject(e);
      } finally {
        this.slowInline = performance.now() - t0 > SYNC_BUDGET_MS ? this.slowInline + 1 : 0;
        if (this.slowInline >= 3) this.inlineOk = false;
      }
    }
    return new Promise((resolve, reject) => {
      const p = { x, rows, resolve, reject };
      if (this.options.maxBatchRows <= 1 || rows >= this.options.maxBatchRows) {
        void this.run([p]);
        return;
      }
      this.queue.push(p);
      this.queuedRows += rows;
      if (this.inFlight < this.maxInFlight || this.queuedRows >= this.options.maxBatchRows) this.drain(false);
      else this.timer ??= setTimeout(() => this.drain(true), this.options.maxWaitMs);
      this.metrics?.queueDepth.set({ model: this.label }, this.queuedRows);
    });
  }

  /** Sends queued requests to the engine in batches while slots are free (or `force`d by the wait). */
  private drain(force: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 && (force || this.inFlight < this.maxInFlight || this.queuedRows >= this.options.maxBatchRows)) {
      const batch: Pending[] = [];
      let rows = 0;
      while (this.queue.length > 0 && rows + this.queue[0]!.rows <= this.options.maxBatchRows) {
        const p = this.queue.shift()!;
        rows += p.rows;
        batch.push(p);
      }
      this.queuedRows -= rows;
      void this.run(batch);
      force = false;
    }
    if (this.queue.length > 0) this.timer = setTimeout(() => this.drain(true), this.options.maxWaitMs);
    this.metrics?.queueDepth.set({ model: this.label }, this.queuedRows);
  }

  private async run(batch: Pending[]): Promise<void> {
    const rows = batch.reduce((s, p) => s + p.rows, 0);
    this.inFlight++;
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
      const k = out.length / rows;
      let o = 0;
      for (const p of batch) {
        p.resolve(out.subarray(o * k, (o + p.rows) * k));
        o += p.rows;
      }
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.drain(false);
    }
  }
}

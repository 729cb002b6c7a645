/**
 * Training jobs started through the API: in-process by default (the same job code a queue
 * worker will run when Lepton scales out). Keeps each running job's subscribers for
 * Server-Sent Events and its AbortController for cancel and shutdown.
 * @module
 */
import { startTrainingJob, type RunEvent, type RunOutcome, type TrainingJobSpec } from '../jobs/training-job.js';
import type { Home } from '../registry/open.js';
import type { Actor } from '../registry/registry.js';

interface Active {
  controller: AbortController;
  subscribers: Set<(e: RunEvent) => void>;
  done: Promise<RunOutcome>;
}

export class JobRunner {
  private readonly active = new Map<number, Active>();

  constructor(private readonly home: Home) {}

  async start(spec: TrainingJobSpec, actor: Actor): Promise<number> {
    const controller = new AbortController();
    const subscribers = new Set<(e: RunEvent) => void>();
    const { runId, done } = await startTrainingJob(this.home, spec, actor, {
      signal: controller.signal,
      onEvent: (e) => {
        for (const s of subscribers) s(e);
      },
    });
    this.active.set(runId, { controller, subscribers, done });
    void done.finally(() => this.active.delete(runId));
    return runId;
  }

  isActive(runId: number): boolean {
    return this.active.has(runId);
  }

  /** Live events of a running job; undefined when it is not running here. */
  subscribe(runId: number, fn: (e: RunEvent) => void): (() => void) | undefined {
    const a = this.active.get(runId);
    if (!a) return undefined;
    a.subscribers.add(fn);
    return () => a.subscribers.delete(fn);
  }

  cancel(runId: number): boolean {
    const a = this.active.get(runId);
    a?.controller.abort();
    return Boolean(a);
  }

  /** Cancels every running job and waits until each is recorded as cancelled. */
  async shutdown(): Promise<void> {
    const all = [...this.active.values()];
    for (const a of all) a.controller.abort();
    await Promise.allSettled(all.map((a) => a.done));
  }
}

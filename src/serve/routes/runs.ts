import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { LeptonError } from '../../errors.js';
import type { RunEvent } from '../../jobs/training-job.js';
import { authorize } from '../auth.js';
import { jsonSchema, ProjectParams, RunParams, StartRunBody } from '../schemas.js';

export function registerRunRoutes(app: FastifyInstance): void {
  const { home, jobs } = app.lepton;
  const reg = home.registry;
  app.post<{ Params: z.infer<typeof ProjectParams>; Body: z.output<typeof StartRunBody> }>(
    '/v1/projects/:project/runs',
    { schema: { tags: ['runs'], summary: 'Start training on a dataset as a job; follow it at /runs/{id}/events', params: jsonSchema(ProjectParams), body: jsonSchema(StartRunBody) } },
    async (req, reply) => {
      const { project } = req.params;
      const actor = await authorize(req, reg, project, 'trainer');
      const b = StartRunBody.parse(req.body);
      await reg.dataset(project, b.dataset, b.datasetVersion); // fail with 404 before a run exists
      const id = await jobs.start({ project, dataset: { name: b.dataset, version: b.datasetVersion }, target: b.target, model: b.model, seed: b.seed, drop: b.drop, params: b.params, balance: b.balance, automl: b.automl, register: b.register }, actor);
      return reply.status(202).send({ id, status: 'running', events: `/v1/projects/${project}/runs/${id}/events` });
    },
  );
  app.get<{ Params: z.infer<typeof ProjectParams> }>('/v1/projects/:project/runs', { schema: { tags: ['runs'], summary: 'List runs, newest first', params: jsonSchema(ProjectParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'viewer');
    return { runs: await reg.listRuns(req.params.project) };
  });
  app.get<{ Params: z.infer<typeof RunParams> }>('/v1/projects/:project/runs/:id', { schema: { tags: ['runs'], summary: 'A run with its per-epoch metric series', params: jsonSchema(RunParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'viewer');
    const run = await reg.run(req.params.project, req.params.id);
    return { ...run, series: await reg.runMetrics(run.id) };
  });
  app.post<{ Params: z.infer<typeof RunParams> }>('/v1/projects/:project/runs/:id/cancel', { schema: { tags: ['runs'], summary: 'Cancel a running job', params: jsonSchema(RunParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'trainer');
    const run = await reg.run(req.params.project, req.params.id);
    if (!jobs.cancel(run.id)) throw new LeptonError('E_CONFLICT', `run ${run.id} is not running (status ${run.status})`, 'only a running job can be cancelled');
    return { id: run.id, status: 'cancelling' };
  });
  app.get<{ Params: z.infer<typeof RunParams> }>(
    '/v1/projects/:project/runs/:id/events',
    { schema: { tags: ['runs'], summary: 'Server-Sent Events: candidate-start, epoch, candidate-end, finished', params: jsonSchema(RunParams) } },
    async (req, reply) => {
      await authorize(req, reg, req.params.project, 'viewer');
      const run = await reg.run(req.params.project, req.params.id);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': req.id });
      const send = (e: RunEvent | Record<string, unknown> & { type: string }) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      const unsubscribe = jobs.subscribe(run.id, (e) => {
        send(e);
        if (e.type === 'finished') res.end();
      });
      if (!unsubscribe) {
        // Not running here: report how it ended (or that it is running elsewhere).
        const now = await reg.run(req.params.project, run.id);
        send({ type: 'finished', runId: now.id, status: now.status, error: now.error ?? undefined, metrics: now.metrics ?? undefined });
        res.end();
        return;
      }
      send({ type: 'status', runId: run.id, status: 'running' });
      res.on('close', unsubscribe);
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { tableFromRows } from '../../data/readers/index.js';
import { LeptonError } from '../../errors.js';
import { authorize } from '../auth.js';
import { ErrorResponse, jsonSchema, ModelParams, PredictBody, PredictQuery, PredictResponse } from '../schemas.js';

const finite = (v: number) => (Number.isFinite(v) ? v : null);

export function registerPredictRoutes(app: FastifyInstance): void {
  const { home, pool, metrics, options, busy } = app.lepton;
  app.post<{ Params: z.infer<typeof ModelParams>; Querystring: z.infer<typeof PredictQuery>; Body: PredictBody }>(
    '/v1/projects/:project/models/:name/predict',
    {
      schema: {
        tags: ['predict'],
        summary: 'Predict one row or a batch with a model version (by alias, default production, or by number)',
        params: jsonSchema(ModelParams),
        querystring: jsonSchema(PredictQuery),
        body: jsonSchema(PredictBody),
        response: { 200: jsonSchema(PredictResponse), '4xx': jsonSchema(ErrorResponse) },
      },
    },
    async (req) => {
      const { project, name } = req.params;
      await authorize(req, home.registry, project, 'predictor');
      const { row, rows: many } = req.body;
      if ((row === undefined) === (many === undefined)) throw new LeptonError('E_VALUE', 'give exactly one of "row" (an object) or "rows" (an array of objects)', 'e.g. {"row": {"age": 42}}');
      const rows = many ?? [row!];
      if (rows.length === 0) throw new LeptonError('E_VALUE', '"rows" is empty', 'send at least one row');
      if (rows.length > options.maxRequestRows) throw new LeptonError('E_LIMIT', `a batch of ${rows.length} rows exceeds the limit of ${options.maxRequestRows} rows per request`, 'split it into several requests');
      const started = performance.now();
      const lease = await pool.acquire(project, name, { alias: req.query.alias, version: req.query.version });
      try {
        const model = lease.model;
        const x = model.pipeline.transform(tableFromRows(rows, model.inputSchema));
        const out = model.fromFeatures(await lease.batcher.submit(x, rows.length, !busy() && lease.concurrent() === 1));
        const predictions = model.toPredictions(out).map((p) =>
          'label' in p ? { label: p.label, probabilities: Object.fromEntries(Object.entries(p.probabilities).map(([k, v]) => [k, finite(v)])) } : { value: finite(p.value) },
        );
        const label = `${project}/${name}@${lease.version}`;
        metrics.predictions.inc({ model: label }, rows.length);
        metrics.predictLatency.observe({ model: label }, (performance.now() - started) / 1000);
        return { model: { name, version: lease.version }, predictions };
      } finally {
        lease.release();
      }
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { decodeImages, imageFeatures } from '../../data/images.js';
import { tableFromRows } from '../../data/readers/index.js';
import type { LeptonModel } from '../../models/model.js';
import { LeptonError } from '../../errors.js';
import { authorize } from '../auth.js';
import { recommendRequest } from '../recommend-request.js';
import { ErrorResponse, jsonSchema, ModelParams, PredictBody, PredictQuery, PredictResponse } from '../schemas.js';

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** Base64 image files → the model's input features (decoded and resized to its shape). */
async function imageInput(model: LeptonModel, images: readonly string[]): Promise<Float32Array> {
  const shape = model.imageInput;
  if (!shape) throw new LeptonError('E_VALUE', 'this model reads table rows, not images', 'send {"row": {...}} or {"rows": [...]}');
  const inputs = images.map((b64, i) => {
    if (!/^[A-Za-z0-9+/\r\n]+=*$/.test(b64)) throw new LeptonError('E_VALUE', `images[${i}] is not base64`, 'send each image file base64-encoded');
    return { name: `images[${i}]`, data: Buffer.from(b64, 'base64') };
  });
  return imageFeatures(await decodeImages(inputs, shape));
}

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
      const { row, rows: many, images, texts, history } = req.body;
      if ([row, many, images, texts, history].filter((v) => v !== undefined).length !== 1) throw new LeptonError('E_VALUE', 'give exactly one of "row" (an object), "rows" (an array of objects), "images" (base64 strings, image models), "texts" (strings, text models) or "history" (item names, recommendation models)', 'e.g. {"row": {"age": 42}}');
      const count = texts?.length ?? images?.length ?? many?.length ?? 1;
      if (count === 0) throw new LeptonError('E_VALUE', `"${texts ? 'texts' : images ? 'images' : 'rows'}" is empty`, 'send at least one');
      if (count > options.maxRequestRows) throw new LeptonError('E_LIMIT', `a batch of ${count} rows exceeds the limit of ${options.maxRequestRows} rows per request`, 'split it into several requests');
      const started = performance.now();
      const lease = await pool.acquire(project, name, { alias: req.query.alias, version: req.query.version });
      try {
        const model = lease.model;
        if (history !== undefined || model.historyInput) {
          const answer = await recommendRequest(model, req.body, (ids) => lease.batcher.submit(ids, 1, !busy() && lease.concurrent() === 1));
          metrics.predictions.inc({ model: `${project}/${name}@${lease.version}` }, 1);
          metrics.predictLatency.observe({ model: `${project}/${name}@${lease.version}` }, (performance.now() - started) / 1000);
          return { model: { name, version: lease.version }, predictions: [], ...answer };
        }
        if (!images && model.imageInput) throw new LeptonError('E_VALUE', 'this is an image model: send {"images": ["<base64 image file>", …]}', 'encode each image file as base64');
        if (!texts && model.textInput) throw new LeptonError('E_VALUE', 'this is a text model: send {"texts": ["…", …]}', 'send each text as a string');
        if (texts && !model.textInput) throw new LeptonError('E_VALUE', `this model reads ${model.imageInput ? 'images' : 'table rows'}, not texts`, model.imageInput ? 'send {"images": [...]}' : 'send {"row": {...}} or {"rows": [...]}');
        const encoded = texts ? model.encodeTexts(texts) : undefined;
        // A sequence model groups the rows by id: one prediction per id.
        const seq = !encoded && !images && model.sequenceInput ? model.sequenceFeatures(tableFromRows(many ?? [row!], model.inputSchema)) : undefined;
        const x = encoded ? encoded.ids : images ? await imageInput(model, images) : seq ? seq.x : await model.rowFeatures(tableFromRows(many ?? [row!], model.inputSchema), undefined, { paths: false });
        const out = model.fromFeatures(await lease.batcher.submit(x, seq?.ids.length ?? count, !busy() && lease.concurrent() === 1));
        const predictions = model.toPredictions(out).map((p) =>
          'label' in p ? { label: p.label, probabilities: Object.fromEntries(Object.entries(p.probabilities).map(([k, v]) => [k, finite(v)])) } : { value: finite(p.value) },
        );
        const label = `${project}/${name}@${lease.version}`;
        metrics.predictions.inc({ model: label }, count);
        metrics.predictLatency.observe({ model: label }, (performance.now() - started) / 1000);
        return { model: { name, version: lease.version }, predictions, ...(encoded ? { truncated: encoded.truncated } : {}), ...(seq ? { ids: seq.ids } : {}) };
      } finally {
        lease.release();
      }
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { LeptonError } from '../../errors.js';
import { parseIngestPii } from '../../data/pii.js';
import { authorize } from '../auth.js';
import { CleanBody, DatasetParams, DatasetQuery, DatasetRecord, InspectQuery, jsonSchema, MaskBody, ProjectParams } from '../schemas.js';
import { addDataset, cleanDataset, inspectDataset, maskDataset } from '../../registry/dataset-ops.js';

const RAW_TYPES = ['text/csv', 'text/tab-separated-values', 'text/plain', 'text/x-arff', 'application/x-ndjson', 'application/jsonl', 'application/octet-stream'];

export function registerDatasetRoutes(app: FastifyInstance): void {
  const { home, options } = app.lepton;
  const reg = home.registry;
  app.register(async (scope) => {
    // Uploads arrive as the raw file; the format comes from ?format=.
    scope.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer', bodyLimit: options.datasetLimit }, (_req, body, done) => done(null, body));
    scope.put<{ Params: z.infer<typeof DatasetParams>; Querystring: z.infer<typeof DatasetQuery>; Body: Buffer }>(
      '/v1/projects/:project/datasets/:name',
      {
        bodyLimit: options.datasetLimit,
        schema: { tags: ['datasets'], summary: 'Upload a data file as a new dataset version (identical content reuses its version)', params: jsonSchema(DatasetParams), querystring: jsonSchema(DatasetQuery), response: { 201: jsonSchema(DatasetRecord) } },
      },
      async (req, reply) => {
        const { project, name } = req.params;
        const actor = await authorize(req, reg, project, 'trainer');
        if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new LeptonError('E_PARSE', 'the upload is empty', `send the file as the body with Content-Type: ${RAW_TYPES[0]} (or application/octet-stream)`);
        const { format, encoding, pii } = req.query;
        const lineage = { source: `upload${encoding && encoding !== 'utf-8' ? ` (${encoding})` : ''} by ${actor.name}`, transforms: [] };
        const { record, reused, transforms } = await addDataset(home, project, { name, bytes: req.body, format, encoding, lineage }, pii ? parseIngestPii(pii) : undefined, actor);
        return reply.status(reused ? 200 : 201).send({ name: record.name, version: record.version, hash: record.hash, format: record.format, rows: record.rows, columns: record.columns, reused, transforms });
      },
    );
  });
  app.get<{ Params: z.infer<typeof DatasetParams>; Querystring: z.infer<typeof InspectQuery> }>(
    '/v1/projects/:project/datasets/:name/inspect',
    { schema: { tags: ['datasets'], summary: 'Data-quality report of a dataset version (types, missing values, outliers, duplicates, leaks, personal data)', params: jsonSchema(DatasetParams), querystring: jsonSchema(InspectQuery) } },
    async (req) => {
      await authorize(req, reg, req.params.project, 'viewer');
      return inspectDataset(home, req.params.project, req.params.name, req.query.version, req.query.target);
    },
  );
  app.post<{ Params: z.infer<typeof DatasetParams>; Body: z.input<typeof CleanBody> }>(
    '/v1/projects/:project/datasets/:name/clean',
    { schema: { tags: ['datasets'], summary: 'Clean a dataset version by policy into a new version; every change counted', params: jsonSchema(DatasetParams), body: jsonSchema(CleanBody) } },
    async (req, reply) => {
      const actor = await authorize(req, reg, req.params.project, 'trainer');
      const b = CleanBody.parse(req.body);
      const { record, report, changes } = await cleanDataset(home, req.params.project, req.params.name, b.version, b.policy, 'policy', actor);
      return reply.status(201).send({ dataset: { name: record.name, version: record.version }, report, changes });
    },
  );
  app.post<{ Params: z.infer<typeof DatasetParams>; Body: z.input<typeof MaskBody> }>(
    '/v1/projects/:project/datasets/:name/mask',
    { schema: { tags: ['datasets'], summary: 'Mask, hash or drop personal data into a new dataset version', params: jsonSchema(DatasetParams), body: jsonSchema(MaskBody) } },
    async (req, reply) => {
      const actor = await authorize(req, reg, req.params.project, 'trainer');
      const b = MaskBody.parse(req.body);
      const { record, transforms } = await maskDataset(home, req.params.project, req.params.name, b.version, b.policy, actor);
      return reply.status(201).send({ dataset: { name: record.name, version: record.version }, transforms });
    },
  );
  app.get<{ Params: z.infer<typeof ProjectParams> }>('/v1/projects/:project/datasets', { schema: { tags: ['datasets'], summary: 'List dataset versions', params: jsonSchema(ProjectParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'viewer');
    return { datasets: await reg.listDatasets(req.params.project) };
  });
}

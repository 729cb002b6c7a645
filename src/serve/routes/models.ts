import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LeptonError } from '../../errors.js';
import { decodeModel } from '../../models/artifact.js';
import { authorize } from '../auth.js';
import { AliasParams, jsonSchema, ModelParams, ProjectParams, SetAliasBody } from '../schemas.js';

const VersionParams = ModelParams.extend({ version: z.coerce.number().int().positive() });

export function registerModelRoutes(app: FastifyInstance): void {
  const { home, pool } = app.lepton;
  const reg = home.registry;
  app.get<{ Params: z.infer<typeof ProjectParams> }>('/v1/projects/:project/models', { schema: { tags: ['models'], summary: 'List models with their latest version and aliases', params: jsonSchema(ProjectParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'viewer');
    return { models: await reg.listModels(req.params.project) };
  });
  app.get<{ Params: z.infer<typeof ModelParams> }>('/v1/projects/:project/models/:name', { schema: { tags: ['models'], summary: 'List the versions of a model', params: jsonSchema(ModelParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'viewer');
    return { versions: await reg.listModelVersions(req.params.project, req.params.name) };
  });
  app.get<{ Params: z.infer<typeof VersionParams> }>('/v1/projects/:project/models/:name/versions/:version', { schema: { tags: ['models'], summary: 'One model version', params: jsonSchema(VersionParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'viewer');
    return reg.modelVersion(req.params.project, req.params.name, req.params.version);
  });
  app.get<{ Params: z.infer<typeof ProjectParams> }>('/v1/projects/:project/deployments', { schema: { tags: ['models'], summary: 'Aliases being served, with the version they point at and the serving configuration', params: jsonSchema(ProjectParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'viewer');
    return { deployments: await reg.listDeployments(req.params.project) };
  });
  app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: app.lepton.options.datasetLimit }, (_req, body, done) => done(null, body));
    scope.post<{ Params: z.infer<typeof ModelParams>; Body: Buffer }>(
      '/v1/projects/:project/models/:name/versions',
      { bodyLimit: app.lepton.options.datasetLimit, schema: { tags: ['models'], summary: 'Register a model file (from `lepton train --out`) as the next version', params: jsonSchema(ModelParams) } },
      async (req, reply) => {
        const { project, name } = req.params;
        const actor = await authorize(req, reg, project, 'trainer');
        if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new LeptonError('E_MODEL_FILE', 'the upload is empty', 'send the model file as the body with Content-Type: application/octet-stream');
        const model = decodeModel(req.body, `${name} upload`); // refuse what would not load when served
        const task = model.task;
        const { formatVersion } = model.manifest;
        model.dispose();
        const artifact = await home.artifacts.put(req.body);
        return reply.status(201).send(await reg.registerModelVersion(project, { name, artifact, formatVersion, task }, actor));
      },
    );
  });
  app.put<{ Params: z.infer<typeof AliasParams>; Body: z.infer<typeof SetAliasBody> }>(
    '/v1/projects/:project/models/:name/aliases/:alias',
    { schema: { tags: ['models'], summary: 'Point an alias (production, staging, …) at a version; traffic moves without dropping requests', params: jsonSchema(AliasParams), body: jsonSchema(SetAliasBody) } },
    async (req) => {
      const { project, name, alias } = req.params;
      const actor = await authorize(req, reg, project, 'admin');
      const previous = await reg.setAlias(project, name, alias, req.body.version, actor);
      pool.forgetAlias(project, name, alias);
      return { alias, version: req.body.version, previous };
    },
  );
  app.post<{ Params: z.infer<typeof AliasParams> }>(
    '/v1/projects/:project/models/:name/aliases/:alias/rollback',
    { schema: { tags: ['models'], summary: 'Move an alias back to the version it pointed at before', params: jsonSchema(AliasParams) } },
    async (req) => {
      const { project, name, alias } = req.params;
      const actor = await authorize(req, reg, project, 'admin');
      const r = await reg.rollbackAlias(project, name, alias, actor);
      pool.forgetAlias(project, name, alias);
      return { alias, version: r.to, previous: r.from };
    },
  );
}

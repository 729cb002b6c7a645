import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { authorize, forgetKeys } from '../auth.js';
import { CreateKeyBody, CreateKeyResponse, jsonSchema, KeyParams, ProjectParams } from '../schemas.js';

export function registerKeyRoutes(app: FastifyInstance): void {
  const reg = app.lepton.home.registry;
  app.post<{ Params: z.infer<typeof ProjectParams>; Body: z.infer<typeof CreateKeyBody> }>(
    '/v1/projects/:project/keys',
    { schema: { tags: ['keys'], summary: 'Create an API key for this project (the secret is shown once)', params: jsonSchema(ProjectParams), body: jsonSchema(CreateKeyBody), response: { 201: jsonSchema(CreateKeyResponse) } } },
    async (req, reply) => {
      const actor = await authorize(req, reg, req.params.project, 'admin');
      return reply.status(201).send(await reg.createKey(req.params.project, req.body.role, req.body.name, actor));
    },
  );
  app.get<{ Params: z.infer<typeof ProjectParams> }>('/v1/projects/:project/keys', { schema: { tags: ['keys'], summary: 'List API keys (never their secrets)', params: jsonSchema(ProjectParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'admin');
    return { keys: await reg.listKeys(req.params.project) };
  });
  app.delete<{ Params: z.infer<typeof KeyParams> }>('/v1/projects/:project/keys/:id', { schema: { tags: ['keys'], summary: 'Revoke an API key', params: jsonSchema(KeyParams) } }, async (req) => {
    const actor = await authorize(req, reg, req.params.project, 'admin');
    await reg.revokeKey(req.params.project, req.params.id, actor);
    forgetKeys(reg);
    return { revoked: req.params.id };
  });
  app.get<{ Params: z.infer<typeof ProjectParams> }>('/v1/projects/:project/audit', { schema: { tags: ['audit'], summary: 'The audit log: every change with key id and time, newest first', params: jsonSchema(ProjectParams) } }, async (req) => {
    await authorize(req, reg, req.params.project, 'admin');
    return { entries: await reg.listAudit(req.params.project, 500) };
  });
}

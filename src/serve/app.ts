/**
 * The HTTP API as a Fastify plugin-style app: `buildApp()` wires the registry, the model pool,
 * auth, limits, metrics and every route, without listening. `server.ts` listens and shuts
 * down gracefully; tests call `app.inject()` or listen on port 0.
 * @module
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { performance } from 'node:perf_hooks';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { LeptonError } from '../errors.js';
import { VERSION } from '../package-root.js';
import type { Home } from '../registry/open.js';
import { ModelPool } from './model-pool.js';
import { ServerMetrics } from './metrics.js';
import { JobRunner } from './jobs.js';
import { registerDatasetRoutes } from './routes/datasets.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerModelRoutes } from './routes/models.js';
import { registerPredictRoutes } from './routes/predict.js';
import { registerRunRoutes } from './routes/runs.js';

export interface ServeOptions {
  /** Largest rows per engine call; 1 turns micro-batching off (default 64). */
  maxBatchRows?: number;
  /** Longest a request waits for companions before its batch runs (default 2 ms). */
  maxWaitMs?: number;
  /** Largest rows in one predict request (default 1024). */
  maxRequestRows?: number;
  /** Largest JSON body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Largest dataset upload in bytes (default 256 MiB). */
  datasetLimit?: number;
  /** Requests per minute per API key (default 60,000; 0 turns it off). */
  rateLimit?: number;
  logger?: FastifyServerOptions['logger'];
}

export interface AppContext {
  /** True while the event loop has been mostly busy lately (utilisation over 85 % in the last 50 ms). */
  busy(): boolean;
  home: Home;
  pool: ModelPool;
  metrics: ServerMetrics;
  jobs: JobRunner;
  options: Required<Omit<ServeOptions, 'logger'>>;
}

declare module 'fastify' {
  interface FastifyInstance {
    lepton: AppContext;
  }
}

const STATUS: Record<string, number> = {
  E_AUTH: 401,
  E_FORBIDDEN: 403,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_LIMIT: 413,
  E_VALUE: 400,
  E_COLUMN: 400,
  E_PARSE: 400,
  E_OPTION: 400,
  E_TARGET: 400,
  E_FILE: 400,
  E_MODEL_FILE: 400,
};

export async function buildApp(home: Home, opts: ServeOptions = {}): Promise<FastifyInstance> {
  const options = {
    maxBatchRows: opts.maxBatchRows ?? 64,
    maxWaitMs: opts.maxWaitMs ?? 2,
    maxRequestRows: opts.maxRequestRows ?? 1024,
    bodyLimit: opts.bodyLimit ?? 1 << 20,
    datasetLimit: opts.datasetLimit ?? 256 << 20,
    rateLimit: opts.rateLimit ?? 60_000,
  };
  let nextId = 0;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: options.bodyLimit,
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].length <= 128 ? req.headers['x-request-id'] : `req-${(++nextId).toString(36)}`),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, allowUnionTypes: true } },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  const metrics = new ServerMetrics();
  const pool = new ModelPool(home, { maxBatchRows: options.maxBatchRows, maxWaitMs: options.maxWaitMs }, metrics);
  const jobs = new JobRunner(home);
  // Event-loop utilisation, sampled: the signal for running small predictions inline.
  let busy = false;
  let lastElu = performance.eventLoopUtilization();
  const eluTimer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    busy = performance.eventLoopUtilization(now, lastElu).utilization > 0.85;
    lastElu = now;
  }, 50);
  eluTimer.unref();
  app.decorate('lepton', { busy: () => busy, home, pool, metrics, jobs, options });

  // JSON cannot carry NaN or Infinity; name the field instead of a parser offset.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      const bad = /"([^"]{1,100})"\s*:\s*(-?Infinity|NaN)\b/.exec(text);
      done(
        bad
          ? new LeptonError('E_VALUE', `field '${bad[1]}' is ${bad[2]}, which is not a number JSON can carry`, 'send null for a missing value, or a finite number')
          : new LeptonError('E_PARSE', `the request body is not valid JSON (${(e as Error).message})`, 'check the JSON syntax'),
        undefined,
      );
    }
  });

  // Callback-style hooks: on the prediction hot path they cost less than async ones.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((err: FastifyError | LeptonError, req, reply) => {
    if (err instanceof LeptonError) {
      const native = (err as { nativeCode?: string }).nativeCode;
      const status = native === 'E_DISPOSED' || native === 'E_BUSY' ? 409 : (STATUS[err.code] ?? 500);
      if (status >= 500) req.log.error({ err }, 'request failed');
      return reply.status(status).send({ error: err.message, code: err.code, ...(err.hint ? { hint: err.hint } : {}) });
    }
    const e = err as FastifyError;
    if (e.validation) {
      const v = e.validation[0]!;
      const where = `${e.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')}`;
      const detail = v.keyword === 'additionalProperties' ? `has unknown field '${(v.params as { additionalProperty: string }).additionalProperty}'` : v.keyword === 'required' ? `is missing field '${(v.params as { missingProperty: string }).missingProperty}'` : (v.message ?? 'is invalid');
      return reply.status(400).send({ error: `${where} ${detail}`, code: 'E_VALIDATION', hint: 'see the request schema at /docs' });
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({ error: `request body is larger than the limit of ${req.routeOptions.bodyLimit ?? options.bodyLimit} bytes`, code: 'E_LIMIT', hint: 'send fewer rows per request' });
    }
    if (e.statusCode === 429) return reply.status(429).send({ error: e.message, code: 'E_RATE_LIMIT', hint: 'slow down, or ask for a higher limit (--rate-limit)' });
    if (e.statusCode && e.statusCode < 500) return reply.status(e.statusCode).send({ error: e.message, code: e.code ?? 'E_REQUEST' });
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: `internal error (request ${req.id})`, code: 'E_INTERNAL' });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: `no route ${req.method} ${req.url}`, code: 'E_NOT_FOUND', hint: 'see /docs for the API' }));

  await app.register(swagger, {
    openapi: {
      info: { title: 'Lepton API', version: VERSION, description: 'Train, version and serve models. Authenticate with `Authorization: Bearer <key>`.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  if (options.rateLimit > 0) {
    await app.register(rateLimit, {
      max: options.rateLimit,
      timeWindow: 60_000,
      keyGenerator: (req) => req.headers.authorization ?? req.ip,
      allowList: (req) => !req.url.startsWith('/v1/'),
      errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, message: `rate limit of ${ctx.max} requests per minute exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s` }),
    });
  }

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await home.registry.listProjects();
      return { status: 'ready' };
    } catch (e) {
      return reply.status(503).send({ status: 'not ready', error: (e as Error).message });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerKeyRoutes(app);
  registerDatasetRoutes(app);
  registerRunRoutes(app);
  registerModelRoutes(app);
  registerPredictRoutes(app);

  // Shutting down: answer in-flight requests, then let their keep-alive connections go
  // (otherwise close() waits for the keep-alive timeout of every connection that was busy).
  let closing = false;
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('preClose', async () => {
    closing = true;
    await jobs.shutdown();
  });
  app.addHook('onClose', async () => {
    clearInterval(eluTimer);
    await pool.close();
  });
  return app;
}

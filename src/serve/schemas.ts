/**
 * Request and response shapes of the HTTP API, defined once in Zod. The same definitions give
 * the JSON Schemas Fastify validates with, the OpenAPI document at /docs, and the types of the
 * TypeScript client.
 * @module
 */
import { z } from 'zod';
import { TEXT_ENCODINGS } from '../data/readers/encoding.js';
import { MODEL_CHOICES } from '../models/spec.js';
import { BALANCE_METHODS } from '../prep/balance.js';
import { ROLES } from '../registry/registry.js';

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
export const Cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const Row = z.record(z.string(), Cell);

export const ProjectParams = z.strictObject({ project: Name });
export const ModelParams = z.strictObject({ project: Name, name: Name });
export const AliasParams = z.strictObject({ project: Name, name: Name, alias: Name });
export const RunParams = z.strictObject({ project: Name, id: z.coerce.number().int().positive() });
export const KeyParams = RunParams;
export const DatasetParams = z.strictObject({ project: Name, name: Name });

export const PredictQuery = z.strictObject({
  alias: Name.optional().describe('model alias to use (default: production)'),
  version: z.coerce.number().int().positive().optional().describe('model version to use instead of an alias'),
});
export const PredictBody = z
  .strictObject({
    row: Row.optional().describe('one input row'),
    rows: z.array(Row).optional().describe('several input rows, predicted as one batch'),
    images: z.array(z.string().min(1)).optional().describe('image models: image files (PNG, JPEG, …) as base64 strings, predicted as one batch'),
    texts: z.array(z.string()).optional().describe('text models: texts, tokenised with the model\'s vocabulary and predicted as one batch'),
    history: z.array(z.string()).max(10_000).optional().describe('recommendation models: the user\'s items, oldest first (unknown items are ignored and listed)'),
    k: z.int().min(1).max(1000).optional().describe('recommendation models: how many items to recommend (default 10)'),
  })
  .describe('exactly one of row, rows (table models), images (image models) or texts (text models)');
export type PredictBody = z.infer<typeof PredictBody>;

export const Prediction = z.union([
  z.strictObject({ label: z.string(), probabilities: z.record(z.string(), z.number().nullable()) }),
  z.strictObject({ value: z.number().nullable() }),
]);
export const PredictResponse = z.strictObject({
  model: z.strictObject({ name: z.string(), version: z.number() }),
  predictions: z.array(Prediction),
  truncated: z.int().min(0).optional().describe('text models: texts longer than the model reads (seqLen words), cut before prediction'),
  ids: z.array(z.string()).optional().describe("sequence models: each prediction's id (the rows are grouped by the id column, ids in first-seen order)"),
  recommendations: z.array(z.strictObject({ item: z.string(), score: z.number() })).optional().describe('recommendation models: the top-k items, best first (the history\'s own items left out)'),
  unknown: z.array(z.string()).optional().describe('recommendation models: history items the model does not know (ignored)'),
  coldStart: z.boolean().optional().describe('recommendation models: no known item in the history, so the most popular items were returned'),
});
export type PredictResponse = z.infer<typeof PredictResponse>;

export const CreateKeyBody = z.strictObject({ role: z.enum(ROLES), name: z.string().min(1).max(100) });
export const CreateKeyResponse = z.strictObject({ id: z.number(), key: z.string(), role: z.enum(ROLES) });

export const DatasetQuery = z.strictObject({
  format: z.enum(['csv', 'tsv', 'arff', 'jsonl', 'json', 'parquet', 'xlsx']),
  encoding: z.enum(TEXT_ENCODINGS).optional().describe('text encoding of the upload (default utf-8); stored as UTF-8'),
  pii: z.string().max(2000).optional().describe('treat personal data before storing: mask|hash|drop|keep for every detected column, or col=action,… (others masked)'),
});
export const DatasetRecord = z.strictObject({
  name: z.string(),
  version: z.number(),
  hash: z.string(),
  format: z.string(),
  rows: z.number(),
  columns: z.array(z.string()),
  reused: z.boolean().optional(),
  transforms: z.array(z.string()).optional(),
});

export const StartRunBody = z.strictObject({
  dataset: Name.describe('dataset name in this project'),
  datasetVersion: z.number().int().positive().optional().describe('default: the latest version'),
  target: z.string().min(1),
  model: z.enum(MODEL_CHOICES).default('auto'),
  seed: z.number().int().min(0).default(42),
  drop: z.array(z.string()).optional(),
  params: z.record(z.string(), z.record(z.string(), z.unknown())).optional().describe('hyper-parameter overrides per family'),
  balance: z.enum(BALANCE_METHODS).optional().describe('class balancing of the training rows only (classification); default none'),
  automl: z
    .strictObject({
      trials: z.union([z.number(), z.string().max(20)]).optional().describe('trials per family, e.g. 30'),
      time: z.union([z.number(), z.string().max(20)]).optional().describe('wall-clock budget: seconds or a duration such as "5m"'),
      bag: z.boolean().optional().describe('ship each kept model as its 5 fold models averaged (default true); false refits one model on train + validation'),
      earlyStop: z.boolean().optional().describe("end a family's tuning when its search reaches a plateau (default true); false searches the whole budget"),
    })
    .optional()
    .describe('an AutoML search (tuned families, out-of-fold ensemble) instead of the fixed candidates; model names one family or auto'),
  register: z.strictObject({ name: Name, alias: Name.optional() }).optional().describe('register the trained model (and set an alias)'),
});
export type StartRunBody = z.input<typeof StartRunBody>;

export const RunResponse = z.object({
  id: z.number(),
  status: z.string(),
  params: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  modelVersion: z.number().nullable().optional(),
});

export const SetAliasBody = z.strictObject({ version: z.number().int().positive() });

export const ErrorResponse = z.object({ error: z.string(), code: z.string(), hint: z.string().optional() });
export type ErrorResponse = z.infer<typeof ErrorResponse>;

/** JSON Schema (draft-07, what Fastify's Ajv speaks) from a Zod schema. */
export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

export const InspectQuery = z.strictObject({ version: z.coerce.number().int().positive().optional(), target: z.string().optional() });
export const CleanBody = z.strictObject({
  version: z.number().int().positive().optional().describe('default: the latest version'),
  policy: z.record(z.string(), z.unknown()).default({}).describe('duplicates, missing, outliers, constant_columns, leaking_columns, target, types'),
});
export const MaskBody = z.strictObject({
  version: z.number().int().positive().optional(),
  policy: z.record(z.string(), z.enum(['keep', 'mask', 'hash', 'drop'])).default({}).describe('per column; detected personal data is masked by default'),
});

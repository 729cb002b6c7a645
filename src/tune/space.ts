/**
 * Search spaces for hyper-parameter tuning: uniform, log-uniform, integer and categorical
 * parameters, and conditional ones that exist only when a categorical parent has a given value
 * (`when`). The same mechanism gives multi-family AutoML spaces: a `family` categorical, and each
 * family's parameters active only for that family.
 *
 * A space is plain JSON (it is stored with the study in the registry), validated here with Zod
 * and then checked for everything Zod cannot see: ranges, conditions naming unknown parameters
 * or values, cycles, parameters that can never be active, and parameter names the model does not
 * have. Every problem is a `LeptonError('E_OPTION')` naming the parameter, raised before any trial
 * starts.
 * @example
 *   const space = validateSpace({
 *     lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
 *     optimizer: { type: 'categorical', choices: ['adam', 'sgd'] },
 *     momentum: { type: 'uniform', low: 0, high: 0.99, when: { optimizer: 'sgd' } },
 *   });
 * @module
 */
import { z } from 'zod';
import { LeptonError, listNames } from '../errors.js';
import { dataDefaults, FAMILIES, paramsSchema, resolveParams, type FamilyName } from '../models/spec.js';
import type { Task } from '../prep/target.js';

/** A categorical value: JSON scalars, or a list of numbers (e.g. MLP hidden sizes `[128, 64]`). */
export type Choice = string | number | boolean | number[];
/** One trial's parameter values: only the parameters active for it are present. */
export type Params = Record<string, Choice>;

/**
 * Activation condition: parent parameter → required value. An array lists several allowed
 * values (`{ family: ['mlp', 'logistic'] }`); so a parent whose choices are themselves arrays
 * is written as a list of them (`{ hidden: [[64]] }`).
 */
export type When = Record<string, Choice | Choice[]>;

export type ParamDef =
  | { type: 'uniform'; low: number; high: number; when?: When }
  | { type: 'loguniform'; low: number; high: number; when?: When }
  | { type: 'int'; low: number; high: number; log?: boolean; when?: When }
  | { type: 'categorical'; choices: Choice[]; when?: When };
export type SearchSpace = Record<string, ParamDef>;

const ChoiceZ = z.union([z.string(), z.number(), z.boolean(), z.array(z.number())]);
const WhenZ = z.record(z.string(), z.union([ChoiceZ, z.array(ChoiceZ)]));
const ParamDefZ = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('uniform'), low: z.number(), high: z.number(), when: WhenZ.optional() }),
  z.strictObject({ type: z.literal('loguniform'), low: z.number(), high: z.number(), when: WhenZ.optional() }),
  z.strictObject({ type: z.literal('int'), low: z.int(), high: z.int(), log: z.boolean().optional(), when: WhenZ.optional() }),
  z.strictObject({ type: z.literal('categorical'), choices: z.array(ChoiceZ), when: WhenZ.optional() }),
]);
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
export const SearchSpaceZ = z.record(z.string(), ParamDefZ);

const HINT = 'a parameter is { type: uniform|loguniform|int|categorical, low/high or choices, when?: { parent: value } }';

/** Stable JSON: object keys sorted, so equal values give equal strings. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const show = (c: unknown) => (typeof c === 'string' ? `'${c}'` : JSON.stringify(c));
/** The values a `when` entry allows (a single value, or a list of them). */
export const allowedValues = (v: Choice | Choice[]): Choice[] => (Array.isArray(v) ? v : [v]);

/** Whether a parameter is active given the values chosen so far (its parents must be active too). */
export function isActive(def: ParamDef, params: Readonly<Record<string, unknown>>): boolean {
  if (!def.when) return true;
  for (const [parent, want] of Object.entries(def.when)) {
    if (!(parent in params)) return false;
    const have = canonicalJson(params[parent]);
    if (!allowedValues(want).some((w) => canonicalJson(w) === have)) return false;
  }
  return true;
}

/**
 * Parameter names, parents before the parameters conditioned on them, otherwise in declaration
 * order: the order in which samplers draw values.
 */
export function paramOrder(space: SearchSpace): string[] {
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new LeptonError('E_OPTION', `search space: the conditions form a cycle: ${cycle.map((n) => `'${n}'`).join(' → ')}`, 'a parameter can only depend on parameters that do not depend on it');
    }
    state.set(name, 'visiting');
    for (const parent of Object.keys(space[name]!.when ?? {})) if (parent in space) visit(parent, [...path, name]);
    state.set(name, 'done');
    out.push(name);
  };
  for (const name of Object.keys(space)) visit(name, []);
  return out;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known name closest to `name`, ignoring case and `_`/`-` (`learning_rate` → `learningRate`). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(norm(name), norm(k));
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/**
 * Checks a search space and returns it typed. `knownParams`, when given, lists the parameter
 * names the model accepts; any other name is an error naming the closest known one.
 */
export function validateSpace(input: unknown, knownParams?: readonly string[], source = 'search space'): SearchSpace {
  function fail(msg: string, hint = HINT): never {
    throw new LeptonError('E_OPTION', `${source}: ${msg}`, hint);
  }
  const r = SearchSpaceZ.safeParse(input);
  if (!r.success) {
    const i = r.error.issues.find((x) => x.code === 'unrecognized_keys') ?? r.error.issues[0]!;
    const [name, ...rest] = i.path.map(String);
    const value = i.path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), input);
    const message = value === undefined && i.code !== 'unrecognized_keys' ? 'missing (required)' : i.message;
    fail(name === undefined ? `must be an object of parameters (${i.message})` : `parameter '${name}'${rest.length ? `: ${rest.join('.')}` : ''}: ${message}`);
  }
  const space = r.data as SearchSpace;
  const names = Object.keys(space);
  if (names.length === 0) fail('the search space is empty: it has no parameters to tune', 'name at least one parameter, or leave the space out to use the default space of the model family');
  for (const name of names) {
    if (!NAME_RE.test(name)) fail(`invalid parameter name '${name}'`, 'use letters, digits, "_", "." or "-", starting with a letter or "_"');
    if (knownParams && !knownParams.includes(name)) {
      const close = closestName(name, knownParams);
      fail(`unknown parameter '${name}'${close ? `; the closest known parameter is '${close}'` : ''}`, `the parameters are ${listNames(knownParams, 40)}`);
    }
    const def = space[name]!;
    const where = `parameter '${name}'`;
    if (def.type === 'categorical') {
      if (def.choices.length === 0) fail(`${where}: choices is empty; a categorical parameter needs at least one choice`);
      const seen = new Set<string>();
      for (const c of def.choices) {
        const k = canonicalJson(c);
        if (seen.has(k)) fail(`${where}: choice ${show(c)} is listed twice`);
        seen.add(k);
      }
    } else {
      if (!(def.low < def.high)) fail(`${where}: low (${def.low}) must be below high (${def.high})`);
      if ((def.type === 'loguniform' || (def.type === 'int' && def.log)) && def.low <= 0) fail(`${where}: a log scale needs low > 0 (got ${def.low})`, 'use uniform (or int without log) for ranges that include 0');
    }
    for (const [parent, want] of Object.entries(def.when ?? {})) {
      const p = space[parent];
      if (!p) {
        const close = closestName(parent, names.filter((n) => n !== name));
        fail(`${where}: its condition names unknown parameter '${parent}'${close ? ` (did you mean '${close}'?)` : ''}`, 'a condition must name another parameter of the space');
      }
      if (p.type !== 'categorical') return fail(`${where}: its condition names '${parent}', which is ${p.type === 'int' ? 'an int' : `a ${p.type}`} parameter; conditions can only name categorical parameters`);
      const choices = p.choices;
      const values = allowedValues(want);
      if (values.length === 0) fail(`${where}: its condition on '${parent}' allows no value`);
      for (const v of values) {
        if (!choices.some((c) => canonicalJson(c) === canonicalJson(v))) fail(`${where}: its condition needs '${parent}' = ${show(v)}, which is not among the choices of '${parent}' (${choices.map(show).join(', ')})`);
      }
    }
  }
  paramOrder(space); // throws on cycles
  checkSatisfiable(space, fail);
  return space;
}

/** Every parameter must be active for some assignment: conditions inherited through parents must not contradict. */
function checkSatisfiable(space: SearchSpace, fail: (msg: string, hint?: string) => never): void {
  type Need = { allowed: Set<string>; via: string };
  const memo = new Map<string, Map<string, Need>>();
  const needs = (name: string): Map<string, Need> => {
    const m = memo.get(name);
    if (m) return m;
    const out = new Map<string, Need>();
    const say = (n: Need) => `${[...n.allowed].map((k) => show(JSON.parse(k))).join(' or ')}${n.via === name ? '' : ` (through '${n.via}')`}`;
    const add = (parent: string, need: Need) => {
      const cur = out.get(parent);
      if (!cur) return void out.set(parent, need);
      const both = new Set([...cur.allowed].filter((x) => need.allowed.has(x)));
      if (both.size === 0) fail(`parameter '${name}' can never be active: its conditions need '${parent}' to be ${say(cur)} and also ${say(need)}`, 'remove one of the contradicting conditions');
      out.set(parent, { allowed: both, via: cur.via });
    };
    for (const [parent, want] of Object.entries(space[name]!.when ?? {})) {
      add(parent, { allowed: new Set(allowedValues(want).map(canonicalJson)), via: name });
      for (const [gp, need] of needs(parent)) add(gp, { allowed: need.allowed, via: parent });
    }
    memo.set(name, out);
    return out;
  };
  for (const name of Object.keys(space)) needs(name);
}

/** Why `params` does not fit the space (a missing, inactive, unknown or out-of-range value), or null when it fits. */
export function checkParams(space: SearchSpace, params: Readonly<Record<string, unknown>>): string | null {
  const active: Record<string, unknown> = {};
  for (const name of paramOrder(space)) {
    const def = space[name]!;
    if (!isActive(def, active)) {
      if (name in params) return `parameter '${name}' is set but inactive`;
      continue;
    }
    const v = params[name];
    if (v === undefined) return `parameter '${name}' is missing`;
    if (def.type === 'categorical') {
      if (!def.choices.some((c) => canonicalJson(c) === canonicalJson(v))) return `parameter '${name}' = ${show(v)} is not a choice`;
    } else if (typeof v !== 'number' || v < def.low || v > def.high || (def.type === 'int' && !Number.isInteger(v))) {
      return `parameter '${name}' = ${show(v)} is outside [${def.low}, ${def.high}]`;
    }
    active[name] = v;
  }
  for (const k of Object.keys(params)) if (!(k in space)) return `parameter '${k}' is not in the space`;
  return null;
}

// ── model families ─────────────────────────────────────────────────────────

/** Hyper-parameter names a family's spec accepts (from its Zod schema). */
export function knownParams(family: FamilyName): string[] {
  return Object.keys(paramsSchema(family).shape);
}

/** Parameter names a multi-family space may use: `family`, each family's own names, and `FAMILY.name`. */
export function knownAutoParams(families: readonly FamilyName[] = FAMILIES): string[] {
  const names = new Set<string>(['family']);
  for (const f of families) for (const n of knownParams(f)) names.add(n).add(`${f}.${n}`);
  return [...names];
}

const BATCH_SIZES = [32, 64, 128, 256];
/**
 * Default search spaces, one per family, over the spec's real parameter names. Ranges are the
 * generic ones of the tuning literature (e.g. Bergstra & Bengio 2012 for networks; Probst et
 * al. 2019 "Tunability" for XGBoost), not fitted to any data set. Epochs and boosting rounds are
 * not tuned: early stopping (and ASHA) decide how long a trial trains.
 */
export const DEFAULT_SPACES: Record<FamilyName, SearchSpace> = {
  // Solved exactly by L-BFGS, the penalty is the only knob that matters (scikit-learn's C from
  // 2,000 down to 0.002 on 1,000 rows of a binary target).
  logistic: {
    weightDecay: { type: 'loguniform', low: 1e-6, high: 1 },
  },
  mlp: {
    hidden: { type: 'categorical', choices: [[64], [128], [256], [128, 64], [256, 128], [256, 128, 64]] },
    activation: { type: 'categorical', choices: ['relu', 'gelu', 'silu'] },
    dropout: { type: 'uniform', low: 0, high: 0.5 },
    batchNorm: { type: 'categorical', choices: [false, true] },
    lr: { type: 'loguniform', low: 1e-4, high: 1e-2 },
    weightDecay: { type: 'loguniform', low: 1e-6, high: 1e-2 },
    batchSize: { type: 'categorical', choices: BATCH_SIZES },
    optimizer: { type: 'categorical', choices: ['adam', 'adamw'] },
    schedule: { type: 'categorical', choices: ['constant', 'cosine'] },
  },
  xgboost: {
    learningRate: { type: 'loguniform', low: 0.01, high: 0.3 },
    maxDepth: { type: 'int', low: 2, high: 10 },
    minChildWeight: { type: 'loguniform', low: 1, high: 100 },
    subsample: { type: 'uniform', low: 0.5, high: 1 },
    colsampleBytree: { type: 'uniform', low: 0.5, high: 1 },
    lambda: { type: 'loguniform', low: 1e-3, high: 10 },
    alpha: { type: 'loguniform', low: 1e-3, high: 10 },
  },
  // Probst, Wright & Boulesteix 2019 ("Hyperparameters and tuning strategies for random forest"):
  // the features tried per split matter most, then the rows per tree and the leaf size; more trees
  // only help, so their number is not tuned.
  forest: {
    featureFraction: { type: 'uniform', low: 0.05, high: 1 },
    sampleFraction: { type: 'uniform', low: 0.2, high: 1 },
    minChildWeight: { type: 'loguniform', low: 0.01, high: 10 },
    maxDepth: { type: 'int', low: 4, high: 20 },
  },
};

/**
 * One space over several families (AutoML): a `family` categorical, and each family's default
 * space under `FAMILY.name`, active only when `family` is that family.
 */
export function autoSpace(families: readonly FamilyName[] = FAMILIES, spaces: Partial<Record<FamilyName, SearchSpace>> = {}): SearchSpace {
  if (families.length === 0) throw new LeptonError('E_OPTION', 'search space: no model family to search', `name at least one of ${listNames(FAMILIES)}`);
  const out: SearchSpace = { family: { type: 'categorical', choices: [...families] } };
  for (const f of families) {
    for (const [name, def] of Object.entries(spaces[f] ?? DEFAULT_SPACES[f])) out[`${f}.${name}`] = { ...def, when: { ...def.when, family: f } };
  }
  return out;
}

/**
 * The family defaults as a point of a space (TPE's first trial): each parameter named in the
 * space gets its family's default value (with `data`, also those that depend on the data, such as
 * the forest's features per split); in a multi-family space (`family`, `FAMILY.name`) the
 * first family choice is the family. The sampler keeps only values the space allows.
 * @example
 *   defaultPoint(DEFAULT_SPACES.mlp, 'mlp') // { hidden: [128, 64], dropout: 0.3, lr: 0.001, … }
 */
export function defaultPoint(space: SearchSpace, model: FamilyName | 'auto', data?: { task: Task; numFeatures: number }): Record<string, Choice> {
  const first = space.family?.type === 'categorical' ? (space.family.choices[0] as FamilyName) : undefined;
  const family = model === 'auto' ? first : model;
  if (!family || !FAMILIES.includes(family)) return {};
  const defaults = { ...(resolveParams(family) as unknown as Record<string, Choice>), ...(data ? dataDefaults(family, data.task, data.numFeatures) : {}) };
  const out: Record<string, Choice> = model === 'auto' ? { family } : {};
  for (const name of Object.keys(space)) {
    const key = name.startsWith(`${family}.`) ? name.slice(family.length + 1) : name;
    if (defaults[key] !== undefined) out[name] = defaults[key]!;
  }
  return out;
}

/**
 * A multi-family trial's parameters as the family and that family's overrides: `FAMILY.name`
 * keys lose their prefix, unprefixed names pass through, other families' keys are dropped.
 */
export function familyParams(params: Params, fallback?: FamilyName): { family: FamilyName; params: Record<string, Choice> } {
  const family = (params.family ?? fallback) as FamilyName | undefined;
  if (!family || !FAMILIES.includes(family)) throw new LeptonError('E_OPTION', `trial parameters name no known model family (family = ${show(params.family)})`, `use one of ${listNames(FAMILIES)}`);
  const out: Record<string, Choice> = {};
  for (const [k, v] of Object.entries(params)) {
    if (k === 'family') continue;
    const dot = k.indexOf('.');
    if (dot < 0) out[k] = v;
    else if (k.slice(0, dot) === family) out[k.slice(dot + 1)] = v;
  }
  return { family, params: out };
}

/**
 * Training, choosing and evaluating recommenders. Histories come from a basket table or a long
 * user,item[,time] table (histories.ts); the leave-last-out split holds out each user's last item
 * (test) and the one before it (validation). `auto` trains popularity, co-occurrence, GRU and
 * SASRec and keeps the best HR@10 on validation (NDCG@10 breaks ties); every candidate's
 * validation and test metrics go in the report, the test split never chooses anything.
 * @example
 *   const { model, report } = await trainRecommender(await readTable('data/supermarket.arff'), { model: 'auto', seed: 42 });
 *   await saveModel(model, 'basket.lepton');
 *   const { items } = await recommend(model, ['bread and cake', 'milk-cream'], 5);
 * @module
 */
import type { Table } from '../data/table.js';
import { LeptonError } from '../errors.js';
import { BASE_FORMAT_VERSION, type Manifest } from '../models/artifact.js';
import type { FitContext, Member } from '../models/member.js';
import { LeptonModel } from '../models/model.js';
import { VERSION } from '../package-root.js';
import { parseNetParams } from '../train/train-network.js';
import { CooccurrenceParams, fitCooccurrence } from './cooccurrence.js';
import { RECOMMEND_FAMILIES, type RecommendFamilyName } from './families.js';
import { encodeHistories, historiesFromTable, leaveLastOut, nextItemCases, type Case, type Histories, type HistoryOptions } from './histories.js';
import { rankingMetrics, type RankingMetrics } from './metrics.js';
import { fitPopularity, itemShares } from './popularity.js';
import { fitSequence, SequenceParams } from './sequence.js';

export const RECOMMEND_CHOICES = ['auto', ...RECOMMEND_FAMILIES] as const;
export type RecommendChoice = (typeof RECOMMEND_CHOICES)[number];

export type RecommendProgress =
  | { type: 'candidate-start'; candidate: RecommendFamilyName; index: number; total: number }
  | { type: 'epoch'; candidate: RecommendFamilyName; epoch: number; maxEpochs: number; trainLoss: number | null; valLoss: number | null }
  | { type: 'candidate-end'; candidate: RecommendFamilyName; valScore: number; seconds: number; epochs: number };

export interface RecommendTrainOptions extends HistoryOptions {
  model?: RecommendChoice;
  /** Most recent items a network reads (default 50). */
  seqLen?: number;
  /** Hyper-parameter overrides per family, e.g. `{ gru: { epochs: 5 }, cooccurrence: { normalise: 'cosine' } }`. */
  params?: Partial<Record<RecommendFamilyName, Record<string, unknown>>>;
  /** Cut-off of the reported and choosing metrics (default 10). */
  k?: number;
  torchThreads?: number;
  onProgress?: (e: RecommendProgress) => void;
  signal?: AbortSignal;
  /** Name of the data, for the manifest. */
  source?: string;
}

export interface RecommendCandidate {
  family: RecommendFamilyName;
  val: RankingMetrics;
  test: RankingMetrics;
  seconds: number;
  epochs: number;
  selected: boolean;
}

export interface RecommendReport {
  selected: RecommendFamilyName;
  leaderboard: RecommendCandidate[];
  data: { kind: Histories['kind']; order: Histories['order']; users: number; items: number; interactions: number; skipped: Histories['skipped'] };
  split: { trainSequences: number; trainCases: number; val: number; test: number };
}

const SEQ_HINT = 'parameters of gru/sasrec: dim, hidden, blocks, heads, dropout, pooling (last|mean), epochs, batchSize, optimizer, lr, schedule, weightDecay, patience';

/** Trains the chosen family (or all of them with `auto`) and returns the best on validation as a model. */
export async function trainRecommender(table: Table, o: RecommendTrainOptions = {}): Promise<{ model: LeptonModel; report: RecommendReport }> {
  const choice = o.model ?? 'auto';
  if (!(RECOMMEND_CHOICES as readonly string[]).includes(choice)) throw new LeptonError('E_OPTION', `unknown recommender '${choice}'`, `choose one of ${RECOMMEND_CHOICES.join(', ')}`);
  const seed = o.seed ?? 42;
  const seqLen = o.seqLen ?? 50;
  const k = o.k ?? 10;
  const h = historiesFromTable(table, { ...o, seed });
  const split = leaveLastOut(h.histories);
  if (split.val.length === 0) throw new LeptonError('E_VALUE', `no user (basket) has 3 or more items, so nothing is left out to validate and test on`, 'leave-last-out needs histories of at least 3 items');
  const items = h.items.length;
  const families = choice === 'auto' ? [...RECOMMEND_FAMILIES] : [choice];
  const trainCases = families.some((f) => f === 'gru' || f === 'sasrec') ? nextItemCases(split.train) : [];
  const xVal = encodeHistories(split.val.map((c) => c.history), seqLen);
  const xTest = encodeHistories(split.test.map((c) => c.history), seqLen);
  const ctx = (family: RecommendFamilyName): FitContext => ({
    task: 'classification',
    numClasses: items,
    numFeatures: seqLen,
    seed,
    torchThreads: o.torchThreads ?? 1,
    xgbThreads: 1,
    onEpoch: (p) => o.onProgress?.({ type: 'epoch', candidate: family, ...p }),
    signal: o.signal,
  });
  const fit = (family: RecommendFamilyName): Promise<Member> | Member => {
    if (family === 'popularity') return fitPopularity(split.train, items, seqLen);
    if (family === 'cooccurrence') return fitCooccurrence(parseNetParams(CooccurrenceParams, o.params?.cooccurrence, 'co-occurrence', 'co-occurrence takes { normalise: count|conditional|cosine|lift|ease, decay: 0..1, lambda: > 0 (ease) }'), split.train, items, seqLen, split.val);
    return fitSequence(family, parseNetParams(SequenceParams, o.params?.[family], family, SEQ_HINT), items, seqLen, trainCases, split.val, ctx(family));
  };
  const fitted: { member: Member; entry: RecommendCandidate }[] = [];
  try {
    for (const [index, family] of families.entries()) {
      o.onProgress?.({ type: 'candidate-start', candidate: family, index, total: families.length });
      const started = performance.now();
      const member = await fit(family);
      fitted.push({ member, entry: { family, val: rankingMetrics(await member.predict(xVal), split.val, k), test: rankingMetrics(await member.predict(xTest), split.test, k), seconds: 0, epochs: member.info.epochs, selected: false } });
      const entry = fitted.at(-1)!.entry;
      entry.seconds = (performance.now() - started) / 1000;
      o.onProgress?.({ type: 'candidate-end', candidate: family, valScore: entry.val.hr, seconds: entry.seconds, epochs: entry.epochs });
    }
  } catch (e) {
    for (const f of fitted) f.member.dispose();
    throw e;
  }
  const best = fitted.reduce((a, b) => (b.entry.val.hr > a.entry.val.hr || (b.entry.val.hr === a.entry.val.hr && b.entry.val.ndcg > a.entry.val.ndcg) ? b : a));
  best.entry.selected = true;
  for (const f of fitted) if (f !== best) f.member.dispose();
  const shares = itemShares(split.train, items);
  const popular = [...shares.keys()].sort((a, b) => shares[b]! - shares[a]! || a - b).slice(0, 100).map((i): [number, number] => [i, shares[i]!]);
  const report: RecommendReport = {
    selected: best.entry.family,
    leaderboard: fitted.map((f) => f.entry),
    data: { kind: h.kind, order: h.order, users: h.histories.length, items, interactions: h.histories.reduce((s, x) => s + x.length, 0), skipped: h.skipped },
    split: { trainSequences: split.train.length, trainCases: trainCases.length, val: split.val.length, test: split.test.length },
  };
  const manifest: Manifest = {
    formatVersion: BASE_FORMAT_VERSION,
    leptonVersion: VERSION,
    createdAt: new Date().toISOString(),
    seed,
    target: { task: 'classification', column: 'next item', classes: h.items },
    targetSchema: { name: 'next item', type: 'categorical', categories: h.items },
    pipeline: { version: 1, inputs: [], steps: [], skipped: [] },
    input: { kind: 'history', seqLen, order: h.order, popular },
    selected: best.entry.family,
    members: [{ family: best.entry.family, params: { ...best.member.params }, info: best.member.info, weight: 1 }],
    training: { recommend: report, source: o.source ?? null, ...(o.user !== undefined ? { columns: { user: o.user, item: o.item, time: o.time ?? null } } : {}) },
  };
  return { model: new LeptonModel(manifest, [best.member]), report };
}

/** Item indices of a model's history input, or E_OPTION for a model of another kind. */
export function historyInputOf(model: LeptonModel): NonNullable<LeptonModel['historyInput']> {
  const want = model.historyInput;
  if (!want) throw new LeptonError('E_OPTION', 'this model is not a recommendation model', 'train one with lepton recommend train DATA');
  return want;
}

export interface RecommendEvaluation extends RankingMetrics {
  /** Interactions whose item the model does not know (left out of histories; such a last item skips its user). */
  unknownItems: number;
  /** Users with fewer than two known items (nothing to predict from). */
  skippedUsers: number;
}

/**
 * Leave-last-out on new data: every user's last item predicted from all the items before it
 * (the seqLen most recent), with the model's item names. Basket tables are ordered as in
 * training (`order`, `seed`), long tables by `time`; a model trained on a long table reads the
 * user/item/time columns it was trained with unless others are given.
 */
export async function evaluateRecommender(model: LeptonModel, table: Table, o: HistoryOptions & { k?: number } = {}): Promise<RecommendEvaluation> {
  const want = historyInputOf(model);
  const index = new Map(want.items.map((name, i) => [name, i]));
  const trained = model.manifest.input?.kind === 'history' && model.manifest.input.order === 'column' ? 'column' : 'random';
  // A model trained on a long table reads the same columns unless told otherwise.
  const columns = o.user === undefined && o.item === undefined ? (model.manifest.training?.['columns'] as { user: string; item: string; time: string | null } | undefined) : undefined;
  const h = historiesFromTable(table, { ...o, ...(columns ? { user: columns.user, item: columns.item, time: columns.time ?? undefined } : {}), seed: o.seed ?? model.manifest.seed, order: o.order ?? trained });
  let unknownItems = 0;
  let skippedUsers = 0;
  const cases: Case[] = [];
  for (const raw of h.histories) {
    const known: number[] = [];
    for (const i of raw) {
      const j = index.get(h.items[i]!);
      if (j === undefined) unknownItems++;
      else known.push(j);
    }
    if (known.length < 2 || index.get(h.items[raw.at(-1)!]!) === undefined) skippedUsers++;
    else cases.push({ history: known.slice(0, -1), target: known.at(-1)! });
  }
  if (!cases.length) throw new LeptonError('E_VALUE', `no user in ${table.source ?? 'the data'} has two items the model knows`, 'evaluate on data with the items the model was trained on');
  const scores = await model.predictFeatures(encodeHistories(cases.map((c) => c.history), want.seqLen));
  return { ...rankingMetrics(scores, cases, o.k ?? 10), unknownItems, skippedUsers };
}

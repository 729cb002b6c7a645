/**
 * Lepton's library API. The CLI (`lepton`) is a thin layer over these functions.
 * @example
 *   import { train, evaluate, loadModel, saveModel } from 'lepton';
 *   const { model, test } = await train('credit-g.arff', { target: 'class' });
 *   await saveModel(model, 'credit.lepton');
 *   const loaded = await loadModel('credit.lepton');
 *   console.log(await loaded.predict({ duration: 24, credit_amount: 4000 /* … *\/ }));
 *   loaded.dispose();
 * @module
 */
export { train, type TrainOptions, type TrainResult } from './train/train.js';
export type { LeaderboardEntry, ProgressEvent, FitOptions } from './train/candidates.js';
export { evaluate } from './eval/evaluate.js';
export { crossValidate, type CvOptions, type CvResult } from './eval/cv.js';
export { formatReport, formatLeaderboard, formatCv } from './eval/format.js';
export type { EvalReport, ClassificationReport, RegressionReport } from './eval/metrics.js';
export { loadModel, saveModel, FORMAT_VERSION, type Manifest } from './models/artifact.js';
export { LeptonModel, type Prediction, type TextPredictions } from './models/model.js';
export { trainTexts, type TextTrainOptions, type TextTrainResult } from './train/train-texts.js';
export { MODEL_CHOICES, FAMILIES, type ModelChoice, type FamilyName } from './models/spec.js';
export { readTable, tableFromRows } from './data/readers/index.js';
export { Table, type Column, type ColumnSchema, type ColumnType } from './data/table.js';
export { Pipeline } from './prep/pipeline.js';
export { smoteNc } from './prep/smote-nc.js';
export { augmentImages, ImageAugmentOptions, type ImageShape } from './prep/augment-image.js';
export { augmentText, parseSynonyms, TextAugmentOptions, type Synonyms } from './prep/augment-text.js';
export { LeptonError } from './errors.js';
export { VERSION } from './package-root.js';
export { LeptonClient, LeptonApiError, type ClientOptions, type DatasetFormat } from './client/client.js';
export { openHome, type Home } from './registry/open.js';
export { Registry, ROLES, type Role, type Actor, type ModelVersion, type RunRecord } from './registry/registry.js';
export type { StudyRecord, StudySpec, TrialRecord, TrialState, TrialRef } from './registry/registry.js';
export { validateSpace, checkParams, DEFAULT_SPACES, autoSpace, familyParams, knownParams, knownAutoParams, type SearchSpace, type ParamDef, type Params, type Choice } from './tune/space.js';
export { RandomSampler, GridSampler, TpeSampler, makeSampler, type Sampler, type Trial, type Direction, type TpeOptions } from './tune/samplers.js';
export { Asha, type AshaOptions, type Decision, type RungStats } from './tune/asha.js';
export { parseBudget, parseDuration, type Budget } from './tune/budget.js';
export { runStudy, resolveSpace, SAMPLERS, type TuneOptions, type TuneResult, type TuneStart, type TrialEvent, type SamplerName } from './tune/runner.js';
export { prepareObjective, runTrial, type ObjectiveData, type TrialOutcome } from './tune/objective.js';
export { summarizeStudy, formatSummary, paramImportance, rankTrials, bestTrial, type StudySummary, type ParamImportance } from './tune/report.js';
export { trainAutoML, fitAutoML, checkAutoMLOptions, type AutoMLOptions, type AutoMLResult, type AutoMLFit, type AutoMLSummary, type AutoMLEntry, type AutoMLTrialEvent } from './automl/automl.js';
export { greedyWeights, keepEnsemble, stackOof, blend, rowLosses, type KeepDecision } from './automl/ensemble.js';
export { formatAutoML } from './automl/format.js';
export { buildApp, type ServeOptions } from './serve/app.js';
export { startServer } from './serve/server.js';
export { startTrainingJob, type TrainingJobSpec, type RunEvent } from './jobs/training-job.js';
export { applyRules, parseRulesConfig, parseCondition, compileCondition, formatLabelStats, type LabelRulesConfig, type LabelStats, type RuleStats } from './label/rules.js';
export { buildQueue, readLabelFile, labelInteractively, type Queue, type QueueEntry } from './label/queue.js';
export { uncertainty, scoreRows, mostUncertain, STRATEGIES, type Strategy } from './label/uncertainty.js';
export { segment, kmeans, silhouetteScore, chooseK, DEFAULT_K_RANGE, type SegmentOptions, type SegmentResult, type KmeansOptions, type KmeansResult, type SilhouetteOptions, type KScore, type ChooseKResult } from './segment/kmeans.js';
export { clusterProfiles, type ClusterProfile, type NumericProfile, type CategoricalProfile } from './segment/profile.js';
export { formatSegment, formatChooseK, segmentSummary } from './segment/format.js';
export { WordTokenizer, PAD, UNK, CLS, SPECIAL_TOKENS, type TokenizerOptions, type EncodeOptions, type Encoded, type TokenizerJson } from './text/tokenizer.js';
export { readTextArff, trainTextClassifier, positiveF1, type TextDataset, type TextClassifier, type TextClassifierOptions } from './text/classify.js';
export { trainRecommender, evaluateRecommender, RECOMMEND_CHOICES, type RecommendTrainOptions, type RecommendReport, type RecommendCandidate, type RecommendEvaluation, type RecommendChoice } from './recommend/recommend.js';
export { recommend, type Recommendation, type RecommendResult } from './recommend/predict.js';
export { historiesFromTable, leaveLastOut, type Histories, type HistoryOptions } from './recommend/histories.js';
export { rankingMetrics, type RankingMetrics } from './recommend/metrics.js';

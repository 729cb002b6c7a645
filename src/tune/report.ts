/**
 * A study's leaderboard and parameter importance, for `lepton tune show` and the end of a run.
 *
 * Leaderboard order: complete trials by value (best first, ties to the lower number), then
 * pruned trials (those that trained longer first, then by their last intermediate value), then
 * failed, running and queued ones by number.
 *
 * Parameter importance ("fANOVA-lite"): for each parameter, the share of the variance of the
 * objective over complete trials that grouping the trials by that parameter explains — a
 * one-way analysis of variance per parameter. Categorical values are their own groups; numeric
 * values fall into equal-count (quantile) bins, √n of them clamped to 2..5. A conditional
 * parameter is judged on the trials where it is active only (whether it is active at all is its
 * parent's effect, e.g. `family`'s). The statistic is the bias-adjusted
 * ε² = (SS_between − (k−1)·MS_within) / (SS_total + MS_within), clamped to [0, 1], so a parameter
 * that explains no more than chance scores about 0 even when it has many groups. Unlike full
 * fANOVA (Hutter et al. 2014, which fits a random forest and integrates it over the space) it
 * ignores interactions and needs no model; a parameter active in under 4 complete trials is
 * not reported.
 * `share` normalises ε² to sum to 1 over the parameters.
 * @module
 */
import type { StudyRecord, TrialRecord, TrialState } from '../registry/registry.js';
import type { Budget } from './budget.js';
import { canonicalJson } from './space.js';

export interface ParamImportance {
  param: string;
  /** ε², the adjusted share of the objective's variance this parameter explains alone. */
  importance: number;
  /** importance / Σ importance (0 when every importance is 0). */
  share: number;
  groups: number;
  /** Complete trials where the parameter was active (those the statistic is computed on). */
  trials: number;
}

export interface StudySummary {
  study: Pick<StudyRecord, 'name' | 'project' | 'target' | 'metric' | 'direction' | 'sampler' | 'seed' | 'dataHash' | 'createdAt'>;
  counts: Record<TrialState, number> & { total: number };
  best: TrialRecord | null;
  leaderboard: TrialRecord[];
  importance: ParamImportance[];
}

const lastStep = (t: TrialRecord) => Math.max(-1, ...t.intermediate.map((s) => s.step));

/** The study's best complete trial, ties to the lower number. */
export function bestTrial(trials: readonly TrialRecord[], direction: 'minimize' | 'maximize'): TrialRecord | null {
  const sign = direction === 'maximize' ? -1 : 1;
  let best: TrialRecord | null = null;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === null) continue;
    if (!best || sign * t.value < sign * best.value! || (t.value === best.value && t.number < best.number)) best = t;
  }
  return best;
}

/** All trials in leaderboard order (see the module doc). */
export function rankTrials(trials: readonly TrialRecord[], direction: 'minimize' | 'maximize'): TrialRecord[] {
  const sign = direction === 'maximize' ? -1 : 1;
  const rank: Record<TrialState, number> = { complete: 0, pruned: 1, failed: 2, running: 3, queued: 4 };
  const key = (t: TrialRecord) => (t.value === null ? Infinity : sign * t.value);
  return [...trials].sort((a, b) => {
    if (a.state !== b.state) return rank[a.state] - rank[b.state];
    if (a.state === 'complete') return key(a) - key(b) || a.number - b.number;
    if (a.state === 'pruned') return lastStep(b) - lastStep(a) || key(a) - key(b) || a.number - b.number;
    return a.number - b.number;
  });
}

/** Parameter importance over complete trials (see the module doc). */
export function paramImportance(trials: readonly TrialRecord[], params: readonly string[]): ParamImportance[] {
  const done = trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
  const out: ParamImportance[] = [];
  for (const p of params) {
    // Only the trials where the parameter is active: a conditional parameter's presence is the
    // effect of its parent (e.g. `family`), which is measured on the parent.
    const act = done.filter((t) => t.params[p] !== undefined);
    const n = act.length;
    if (n < 4) continue;
    const y = act.map((t) => t.value!);
    const mean = y.reduce((a, b) => a + b, 0) / n;
    const sst = y.reduce((s, v) => s + (v - mean) ** 2, 0);
    const keys = groupKeys(act, p);
    const groups = new Map<string, number[]>();
    keys.forEach((k, i) => groups.set(k, [...(groups.get(k) ?? []), y[i]!]));
    const k = groups.size;
    let ssb = 0;
    for (const g of groups.values()) ssb += g.length * (g.reduce((a, b) => a + b, 0) / g.length - mean) ** 2;
    const msw = n > k ? (sst - ssb) / (n - k) : 0;
    const eps = sst > 0 && k > 1 ? (ssb - (k - 1) * msw) / (sst + msw) : 0;
    out.push({ param: p, importance: Math.min(1, Math.max(0, eps)), share: 0, groups: k, trials: n });
  }
  const total = out.reduce((s, r) => s + r.importance, 0);
  for (const r of out) r.share = total > 0 ? r.importance / total : 0;
  return out.sort((a, b) => b.importance - a.importance || a.param.localeCompare(b.param));
}

function groupKeys(trials: readonly TrialRecord[], param: string): string[] {
  const vals = trials.map((t) => t.params[param]);
  const numeric = vals.every((v) => v === undefined || typeof v === 'number');
  const distinct = new Set(vals.filter((v) => v !== undefined).map((v) => canonicalJson(v)));
  if (!numeric || distinct.size <= 5) return vals.map((v) => (v === undefined ? '(inactive)' : canonicalJson(v)));
  const active = (vals.filter((v) => v !== undefined) as number[]).sort((a, b) => a - b);
  const bins = Math.min(5, Math.max(2, Math.round(Math.sqrt(active.length))));
  const edges = Array.from({ length: bins - 1 }, (_, i) => active[Math.floor(((i + 1) * active.length) / bins)]!);
  return vals.map((v) => (v === undefined ? '(inactive)' : `bin${edges.filter((e) => (v as number) >= e).length}`));
}

export function summarizeStudy(study: StudyRecord, trials: readonly TrialRecord[], options: { top?: number } = {}): StudySummary {
  const counts = { queued: 0, running: 0, complete: 0, pruned: 0, failed: 0, total: trials.length };
  for (const t of trials) counts[t.state]++;
  const ranked = rankTrials(trials, study.direction);
  return {
    study: { name: study.name, project: study.project, target: study.target, metric: study.metric, direction: study.direction, sampler: study.sampler, seed: study.seed, dataHash: study.dataHash, createdAt: study.createdAt },
    counts,
    best: bestTrial(trials, study.direction),
    leaderboard: options.top === undefined ? ranked : ranked.slice(0, options.top),
    importance: paramImportance(trials, Object.keys(study.space)),
  };
}

/** A number with 4 significant digits, without exponent noise for ordinary magnitudes. */
export function fmtNum(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/** `name=value` pairs of a trial's parameters, compactly. */
export function formatParams(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmtNum(v) : Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`)
    .join(' ');
}

/** A text table: numeric columns (`right`) right-aligned, the others left-aligned. */
function table(rows: string[][], right: readonly number[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (right.includes(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

function lastReport(t: TrialRecord): string {
  const last = t.intermediate[t.intermediate.length - 1];
  return last && last.value !== null ? fmtNum(last.value) : '';
}

function stepsOf(t: TrialRecord): string {
  const s = lastStep(t);
  return s < 0 ? '' : String(s);
}

export function formatSummary(s: StudySummary): string {
  const c = s.counts;
  const head = `study ${s.study.name} (project ${s.study.project}): ${s.study.metric} (${s.study.direction}) of '${s.study.target}', ${s.study.sampler} sampler, seed ${s.study.seed}\n` +
    `trials: ${c.total} (${c.complete} complete, ${c.pruned} pruned, ${c.failed} failed${c.running ? `, ${c.running} running` : ''}${c.queued ? `, ${c.queued} queued` : ''})\n`;
  const best = s.best ? `best: trial ${s.best.number}, ${s.study.metric} ${fmtNum(s.best.value!)}  ${formatParams(s.best.params)}\n` : 'best: no trial has completed yet\n';
  const rows = s.leaderboard.map((t) => [String(t.number), t.state, t.state === 'complete' && t.value !== null ? fmtNum(t.value) : '', stepsOf(t), lastReport(t), t.state === 'failed' ? `${formatParams(t.params)}  [${t.error ?? ''}]` : formatParams(t.params)]);
  const board = rows.length ? `\nLeaderboard (steps: epochs or boosting rounds reported; last report: ${s.study.direction === 'maximize' ? '−validation log-loss' : 'validation RMSE'} there, what ASHA compares)\n${table([['#', 'state', s.study.metric, 'steps', 'last report', 'params'], ...rows], [0, 2, 3, 4])}\n` : '';
  const imp = s.importance.length
    ? `\nParameter importance (share of the objective's variance over complete trials explained by each parameter alone; adjusted ε²)\n${table([['param', 'importance', 'share'], ...s.importance.map((r) => [r.param, r.importance.toFixed(3), `${(100 * r.share).toFixed(0)}%`])], [1, 2])}\n`
    : '\nParameter importance: needs at least 4 complete trials\n';
  return head + best + board + imp;
}

/** "50 trials or 600 s". */
export function formatBudget(b: Budget): string {
  return [b.trials !== null ? `${b.trials} trials` : '', b.timeMs !== null ? `${fmtNum(b.timeMs / 1000)} s` : ''].filter(Boolean).join(' or ');
}

/** "new", or "resumed (7 trials so far; interrupted trial #8 queued to run again)". */
export function formatResumed(e: { resumed: boolean; existing: number; requeued: readonly number[] }): string {
  if (!e.resumed) return 'new';
  const again = e.requeued.length ? `; interrupted trial${e.requeued.length > 1 ? 's' : ''} ${e.requeued.map((n) => `#${n}`).join(', ')} queued to run again` : '';
  return `resumed (${e.existing} trials so far${again})`;
}

/** One progress line per finished trial: its state and value, the best so far, the time, the parameters. */
export function formatTrialLine(e: { trial: TrialRecord; best: TrialRecord | null; budget: Budget; elapsedMs: number }, metric: string): string {
  const t = e.trial;
  const of = e.budget.trials !== null ? `/${e.budget.trials}` : '';
  const steps = t.intermediate.length ? ` ${t.intermediate[t.intermediate.length - 1]!.step} steps` : '';
  const value = t.state === 'complete' ? `${metric} ${fmtNum(t.value!)}` : t.state === 'pruned' ? `pruned at${steps}` : `failed: ${t.error ?? ''}`;
  const best = e.best ? `best ${fmtNum(e.best.value!)} (#${e.best.number})` : 'best —';
  return `trial ${t.number}${of}  ${t.state.padEnd(8)} ${value.padEnd(22)} ${best}  [${(e.elapsedMs / 1000).toFixed(1)} s]  ${formatParams(t.params)}\n`;
}

/** "2 workers × 1 thread": how a study's trials share the machine. */
export function formatWorkers(parallel: number, threads: number): string {
  return `${parallel} worker${parallel > 1 ? 's' : ''} × ${threads} thread${threads > 1 ? 's' : ''}`;
}

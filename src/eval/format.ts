/**
 * Human-readable text for reports, leaderboards and cross-validation summaries.
 * @module
 */
import type { LeaderboardEntry } from '../train/candidates.js';
import type { CvResult } from './cv.js';
import type { EvalReport } from './metrics.js';

const f3 = (v: number | null) => (v === null || Number.isNaN(v) ? '—' : v.toFixed(3));
const f4 = (v: number | null) => (v === null || Number.isNaN(v) ? '—' : v.toFixed(4));

/** Renders rows as an aligned text table; the first row is the header. */
export function textTable(rows: string[][], alignLeft = 1): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c < alignLeft ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd())
    .join('\n');
}

export function formatReport(r: EvalReport): string {
  if (r.task === 'regression') {
    return textTable([['metric', 'value'], ['rmse', f4(r.rmse)], ['mae', f4(r.mae)], ['r2', f4(r.r2)], ['rows', String(r.n)]]);
  }
  const rows = [['class', 'precision', 'recall', 'f1', 'support']];
  for (const m of r.perClass) rows.push([m.label, f3(m.precision), f3(m.recall), f3(m.f1), String(m.support)]);
  rows.push(['', '', '', '', '']);
  rows.push(['macro avg', f3(r.macro.precision), f3(r.macro.recall), f3(r.macro.f1), String(r.n)]);
  rows.push(['weighted avg', f3(r.weighted.precision), f3(r.weighted.recall), f3(r.weighted.f1), String(r.n)]);
  const conf = [['actual \\ predicted', ...r.classes], ...r.confusion.map((row, i) => [r.classes[i]!, ...row.map(String)])];
  return [
    'Classification report',
    textTable(rows),
    '',
    'Confusion matrix',
    textTable(conf),
    '',
    textTable([
      ['accuracy', f4(r.accuracy)],
      [r.classes.length === 2 ? 'roc auc' : 'roc auc (macro ovr)', f4(r.rocAuc)],
      ['log loss', f4(r.logLoss)],
    ]),
  ].join('\n');
}

export function formatLeaderboard(entries: LeaderboardEntry[]): string {
  const metric = entries[0]?.metric === 'neg_rmse' ? 'val rmse' : 'val roc auc';
  const rows = [['candidate', metric, 'epochs/rounds', 'seconds', '']];
  for (const e of entries) {
    const score = e.metric === 'neg_rmse' ? -e.valScore : e.valScore;
    const ep = e.epochs === null ? '—' : `${e.bestEpoch}/${e.epochs}`;
    rows.push([e.name, f4(score), ep, e.seconds.toFixed(1), e.selected ? '← chosen' : '']);
  }
  return textTable(rows);
}

export function formatCv(cv: CvResult): string {
  const rows = [['metric', 'mean', 'std']];
  for (const [k, v] of Object.entries(cv.summary)) rows.push([k, f4(v.mean), f4(v.std)]);
  const chosen = cv.folds.map((f, i) => `fold ${i + 1}: ${f.selected}`).join(', ');
  return `${textTable(rows)}\n\nchosen per fold: ${chosen}`;
}

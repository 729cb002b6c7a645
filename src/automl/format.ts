/**
 * Text for the AutoML leaderboards: for tables, each family's best tuned score and OOF score, the
 * weighted average (with its weights) and stacking, and which was chosen; for image and text
 * folders, the network search's trials.
 * @module
 */
import { textTable } from '../eval/format.js';
import { PLATEAU } from '../tune/plateau.js';
import { formatParams } from '../tune/report.js';
import type { AutoMLSummary } from './automl.js';
import type { NetworkSearchSummary } from './networks.js';

const f4 = (v: number | null) => (v === null || Number.isNaN(v) ? '—' : v.toFixed(4));

export function formatAutoML(s: AutoMLSummary): string {
  const auc = s.metric === 'roc_auc';
  const rows = [['candidate', 'trial', auc ? 'val roc auc' : 'val rmse', 'best val', auc ? 'oof roc auc' : 'oof rmse', auc ? 'oof log loss' : 'oof mse (std.)', 'trials (pruned/failed)', 'epochs/rounds', 'seconds', '']];
  for (const e of s.leaderboard) {
    const trials = e.trials ? `${e.trials.total} (${e.trials.pruned}/${e.trials.failed})` : '—';
    rows.push([e.name, e.trial === undefined ? '—' : `#${e.trial}`, f4(e.valScore), f4(e.bestValScore ?? null), f4(e.oofScore), f4(e.oofLoss), trials, e.bestEpoch === null ? '—' : String(e.bestEpoch), e.seconds ? e.seconds.toFixed(1) : '—', e.selected ? '← chosen' : '']);
  }
  const lines = [textTable(rows)];
  const w = s.leaderboard.find((e) => e.name === 'weighted')?.weights;
  if (w) lines.push(`weights (greedy selection on OOF loss): ${Object.entries(w).map(([f, v]) => `${f} ${v!.toFixed(2)}`).join(', ')}`);
  if (s.simpler) lines.push(`best single family: ${s.simpler.kept ? `logistic (one-SE rule: ${s.simpler.reason})` : `${s.simpler.over} (${s.simpler.reason})`}`);
  if (s.decision) lines.push(`weighted average ${s.decision.keep ? 'passes the keep rule' : 'not kept'}: ${s.decision.reason}`);
  if (s.stacking) lines.push(`stacking ${s.stacking.decision.keep ? 'passes the keep rule' : 'not kept'}: ${s.stacking.note}`);
  if (s.decision?.keep && s.stacking?.decision.keep) lines.push('(both pass: the lower OOF loss is chosen)');
  lines.push('(per family: the configuration with the lowest OOF loss among its defaults (#0) and best trials on validation; the defaults unless beaten by more than 1 SE)');
  for (const e of s.leaderboard) if (e.defaultsKept) lines.push(`${e.name}: defaults kept over trial #${e.defaultsKept.over} (one-SE rule: its OOF loss lower by ${e.defaultsKept.gap.toFixed(4)}, within 1 SE ${e.defaultsKept.se.toFixed(4)})`);
  for (const e of s.leaderboard) if (e.plateau) lines.push(`${e.name}: tuning stopped after ${e.plateau.trials} trials, on a plateau (no gain above ${PLATEAU.tolerance * 100} % on validation since trial #${e.plateau.lastGain}; --no-early-stop searches the whole budget)`);
  for (const e of s.leaderboard) if (e.params) lines.push(`${e.name} parameters: ${Object.keys(e.params).length ? JSON.stringify(e.params) : '(defaults)'}`);
  if (s.bagged) lines.push(`shipped: each member as the average of its ${s.folds} fold models (bagging), not refitted`);
  lines.push(`time: tuning ${s.seconds.tuning.toFixed(1)} s, out-of-fold ${s.seconds.oof.toFixed(1)} s${s.bagged ? '' : `, refit ${s.seconds.refit.toFixed(1)} s`}`);
  return lines.join('\n');
}

/** The network search's trials, best first (`top` rows), and the kept one. */
export function formatNetworkSearch(s: NetworkSearchSummary, top = 10): string {
  const shown = s.leaderboard.slice(0, top);
  const rows = [['trial', 'state', 'val roc auc', 'epochs', 'seconds', ''], ...shown.map((t) => [`#${t.number}`, t.state, t.state === 'failed' ? '—' : f4(t.value), String(t.epochs), t.seconds.toFixed(1), s.best?.number === t.number ? '← kept' : ''])];
  const params = ['parameters', ...shown.map((t) => (t.number === 0 ? '(defaults)' : formatParams(t.params)))];
  const body = textTable(rows, 2).split('\n');
  const width = Math.max(...body.map((l) => l.length));
  const lines = body.map((l, i) => `${l.padEnd(width)}  ${params[i]}`);
  const c = s.counts;
  lines.push(`${s.family}: ${c.total} trials (${c.complete} complete, ${c.pruned} pruned by ASHA, ${c.failed} failed) in ${s.seconds.toFixed(1)} s; a pruned trial's value is its last −validation log-loss`);
  return lines.join('\n');
}

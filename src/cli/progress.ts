/**
 * Training progress for people: a bar per candidate on a terminal, one line per candidate
 * otherwise, nothing with --quiet.
 * @module
 */
import cliProgress from 'cli-progress';
import type { NetworkSearchOptions } from '../automl/networks.js';
import type { RecommendProgress } from '../recommend/recommend.js';
import type { ProgressEvent } from '../train/candidates.js';

export function progressPrinter(quiet: boolean): (e: ProgressEvent | RecommendProgress) => void {
  if (quiet) return () => {};
  const tty = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  return (e) => {
    if (e.type === 'candidate-start') {
      if (!tty) return;
      bar = new cliProgress.SingleBar(
        { format: `  ${e.candidate.padEnd(9)} {bar} {value}/{total} epochs | val loss {valLoss}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(1, 0, { valLoss: '—' });
    } else if (e.type === 'epoch') {
      bar?.setTotal(e.maxEpochs);
      bar?.update(e.epoch, { valLoss: e.valLoss === null ? '—' : e.valLoss.toFixed(4) });
    } else {
      bar?.stop();
      bar = undefined;
      const score = Number.isNaN(e.valScore) ? '' : ` val score ${e.valScore.toFixed(4)}`;
      process.stderr.write(`  ${e.candidate.padEnd(9)} done in ${e.seconds.toFixed(1)} s, ${e.epochs} epochs/rounds${score}\n`);
    }
  };
}

/** One stderr line per finished network-search trial (AutoML on folders and sequences). */
export function searchTrialPrinter(family: string, quiet: boolean): NonNullable<NetworkSearchOptions['onTrial']> {
  return (t) => {
    if (quiet) return;
    const value = t.value === null ? '' : ` ${t.value.toFixed(4)}`;
    const best = t.best === null ? '—' : t.best.toFixed(4);
    process.stderr.write(`  ${family} trial ${t.number}: ${t.state}${value} after ${t.epochs} epoch${t.epochs === 1 ? '' : 's'} (best ${best}, ${t.seconds.toFixed(1)} s)${t.number === 0 ? ' (defaults)' : ''}\n`);
  };
}

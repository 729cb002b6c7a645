/**
 * Training progress for people: a bar per candidate on a terminal, one line per candidate
 * otherwise, nothing with --quiet.
 * @module
 */
import cliProgress from 'cli-progress';
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

/**
 * Recommendation on Weka's supermarket baskets (data/supermarket.arff, 4627 baskets, 216
 * departments): leave-last-out HR@10 and NDCG@10 over all items (history excluded) of popularity,
 * co-occurrence, GRU and SASRec, with the baskets' items in a seeded random order (basket
 * completion) and in column order (the departments' numbering). Fixed seed; the networks get
 * `epochs` with early stopping on the validation loss.
 * @module
 */
import { join } from 'node:path';
import { readTable } from '../src/data/readers/index.js';
import { textTable } from '../src/eval/format.js';
import { packageRoot } from '../src/package-root.js';
import { RECOMMEND_FAMILIES } from '../src/recommend/families.js';
import { trainRecommender, type RecommendReport } from '../src/recommend/recommend.js';

export async function recommendBench(o: { seed?: number; epochs?: number; seqLen?: number } = {}): Promise<Record<string, unknown>> {
  const cfg = { seed: o.seed ?? 42, epochs: o.epochs ?? Number(process.env.RECOMMEND_EPOCHS ?? 6), seqLen: o.seqLen ?? 20 };
  const table = await readTable(join(packageRoot(), 'data', 'supermarket.arff'));
  const out: Record<string, RecommendReport> = {};
  for (const order of ['random', 'column'] as const) {
    const net = { epochs: cfg.epochs };
    const { model, report } = await trainRecommender(table, {
      model: 'auto',
      order,
      seed: cfg.seed,
      seqLen: cfg.seqLen,
      params: { gru: net, sasrec: net },
      onProgress: (e) => e.type === 'candidate-end' && process.stderr.write(`  ${order} ${e.candidate}: ${e.seconds.toFixed(1)} s\n`),
    });
    model.dispose();
    out[order] = report;
    const pop = report.leaderboard.find((c) => c.family === 'popularity')!;
    console.log(`\nRecommendation, supermarket.arff, ${order} order (seed ${cfg.seed}, seqLen ${cfg.seqLen}, networks up to ${cfg.epochs} epochs): ${report.split.test} test baskets`);
    console.log(
      textTable([
        ['family', 'val HR@10', 'val NDCG@10', 'test HR@10', 'test NDCG@10', 'Δ HR vs popularity', 'epochs', 'seconds'],
        ...RECOMMEND_FAMILIES.map((f) => report.leaderboard.find((c) => c.family === f)!).map((c) => [
          c.family + (c.selected ? ' *' : ''),
          c.val.hr.toFixed(4),
          c.val.ndcg.toFixed(4),
          c.test.hr.toFixed(4),
          c.test.ndcg.toFixed(4),
          (c.test.hr - pop.test.hr).toFixed(4),
          String(c.epochs),
          c.seconds.toFixed(1),
        ]),
      ]),
    );
  }
  return { config: cfg, ...out };
}

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTable } from '../../src/data/readers/index.js';
import type { Table } from '../../src/data/table.js';
import { trainRecommender, type RecommendReport } from '../../src/recommend/recommend.js';
import { ROOT } from '../helpers.js';

const SUPERMARKET = join(ROOT, 'data', 'supermarket.arff');
// Small networks and the first 800 baskets keep the file well under a minute on two shared cores.
const NET = { epochs: 3, dim: 32, hidden: 64, blocks: 1, lr: 0.005 };
let full: Table;
let first800: Table;
let column: RecommendReport;

beforeAll(async () => {
  full = await readTable(SUPERMARKET);
  first800 = full.take(Int32Array.from({ length: 800 }, (_, i) => i));
  const r = await trainRecommender(first800, { model: 'auto', order: 'column', seqLen: 12, seed: 42, params: { gru: NET, sasrec: NET } });
  r.model.dispose();
  column = r.report;
}, 60_000);

const row = (r: RecommendReport, family: string) => r.leaderboard.find((c) => c.family === family)!;

describe('recommend: supermarket baskets', () => {
  it('in department (column) order, co-occurrence, GRU and SASRec beat popularity on HR@10 by a wide margin', () => {
    expect(column.data).toMatchObject({ kind: 'baskets', order: 'column', users: 800, items: 216 });
    expect(column.data.skipped).toEqual([{ column: 'total', reason: "not binary (values 'low', 'high')" }]);
    const pop = row(column, 'popularity').test.hr;
    // Measured (seed 42): popularity 0.067, co-occurrence 0.658, GRU 0.581, SASRec 0.444 on 792 test baskets.
    expect(pop).toBeLessThan(0.15);
    expect(row(column, 'cooccurrence').test.hr).toBeGreaterThan(pop + 0.4);
    expect(row(column, 'gru').test.hr).toBeGreaterThan(pop + 0.3);
    expect(row(column, 'sasrec').test.hr).toBeGreaterThan(pop + 0.2);
    for (const f of ['cooccurrence', 'gru', 'sasrec']) expect(row(column, f).test.ndcg).toBeGreaterThan(row(column, 'popularity').test.ndcg + 0.1);
    // auto keeps the best validation HR@10.
    const best = column.leaderboard.reduce((a, b) => (b.val.hr > a.val.hr ? b : a));
    expect(column.selected).toBe(best.family);
    expect(column.leaderboard.filter((c) => c.selected).map((c) => c.family)).toEqual([best.family]);
  });

  it('in random order (basket completion), EASE item weights beat popularity on HR@10 and NDCG@10 in every seed', async () => {
    for (const seed of [42, 1]) {
      const pop = await trainRecommender(full, { model: 'popularity', seed });
      const co = await trainRecommender(full, { model: 'cooccurrence', seed });
      pop.model.dispose();
      co.model.dispose();
      // Measured on 4572 test baskets, seeds 42 / 1 / 2: popularity HR@10 0.550 / 0.546 / 0.546,
      // co-occurrence (validation picks EASE each time) 0.573 / 0.577 / 0.570; NDCG@10 +0.02 in each.
      // The plain counts (cosine, lift, …) only tie popularity: a multi-hot MLP peer reached 0.55–0.56,
      // so the data holds little beyond popularity and the gain is modest but consistent.
      const p = pop.report.leaderboard[0]!.test;
      const c = co.report.leaderboard[0]!;
      expect(p.hr).toBeGreaterThan(0.5);
      expect(co.model.manifest.members[0]!.params).toMatchObject({ normalise: 'ease' });
      expect(c.test.hr).toBeGreaterThan(p.hr + 0.01);
      expect(c.test.ndcg).toBeGreaterThan(p.ndcg + 0.01);
    }
  });
});

import { describe, expect, it, vi } from 'vitest';
import type { Member } from '../../src/models/member.js';
import { CANCER } from '../helpers.js';

// Every model AutoML fits goes through fitTable: count those alive (fitted, not yet disposed).
const live = new Set<Member>();
let peak = 0;
vi.mock('../../src/models/table-family.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/models/table-family.js')>();
  return {
    ...mod,
    fitTable: async (...args: Parameters<typeof mod.fitTable>) => {
      const m = await mod.fitTable(...args);
      live.add(m);
      peak = Math.max(peak, live.size);
      const dispose = m.dispose.bind(m);
      m.dispose = () => {
        live.delete(m);
        dispose();
      };
      return m;
    },
  };
});

describe('AutoML out-of-fold fits with bagging', () => {
  it("free each family's losing configurations before the next family trains, and everything not shipped at the end", async () => {
    const { trainAutoML } = await import('../../src/automl/automl.js');
    const params = { logistic: { epochs: 30 }, mlp: { epochs: 20, hidden: [32] }, xgboost: { rounds: 60 }, forest: { trees: 50 } };
    const r = await trainAutoML(CANCER, {
      target: 'diagnosis',
      seed: 7,
      trials: 3,
      params,
      torchThreads: 1,
      xgbThreads: 1,
      onStage: (stage) => {
        if (stage === 'oof') peak = live.size; // from here on: the OOF fits
      },
    });
    try {
      const configs = r.leaderboard.filter((e) => e.candidates).map((e) => e.candidates!);
      expect(configs).toHaveLength(4);
      const k = r.folds;
      // Held at most: one model per fold for each family already decided, plus every candidate of
      // the family being fitted — not every candidate of every family (the sum).
      const bound = Math.max(...configs.map((c, i) => (i + c) * k));
      expect(peak).toBeLessThanOrEqual(bound);
      expect(peak).toBeLessThan(configs.reduce((a, c) => a + c, 0) * k);
      // What remains is exactly the shipped members' fold models.
      expect(live.size).toBe(r.model.members.length * k);
    } finally {
      r.model.dispose();
    }
    expect(live.size).toBe(0);
  }, 60_000);
});

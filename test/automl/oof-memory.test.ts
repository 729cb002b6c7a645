import { describe, expect, it, vi } from 'vitest';
import type { Member } from '../../src/models/member.js';
import { AUTOML_SMALL, CANCER } from '../helpers.js';

// Every model AutoML fits goes through fitTable: count those alive (fitted, not yet disposed).
const live = new Set<Member>();
let peak = 0;
/** The training matrices the fits read, in order, while `recording`. */
const reads: unknown[] = [];
let recording = false;
vi.mock('../../src/models/table-family.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/models/table-family.js')>();
  return {
    ...mod,
    fitTable: async (...args: Parameters<typeof mod.fitTable>) => {
      const m = await mod.fitTable(...args);
      if (recording) reads.push(args[2]);
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

const SMALL = { ...AUTOML_SMALL, target: 'diagnosis', seed: 7 };

describe('AutoML out-of-fold fits with bagging', () => {
  it("free each family's losing configurations before the next family trains, and everything not shipped at the end", async () => {
    const { trainAutoML } = await import('../../src/automl/automl.js');
    const r = await trainAutoML(CANCER, {
      ...SMALL,
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

  it('fit every candidate on one fold before building the next; past the cache budget each family builds its folds again, with the same result', async () => {
    const { trainAutoML } = await import('../../src/automl/automl.js');
    const run = async (foldCacheBytes?: number) => {
      reads.length = 0;
      const r = await trainAutoML(CANCER, {
        ...SMALL,
        foldCacheBytes,
        onStage: (stage) => (recording = stage === 'oof'),
      });
      recording = false;
      r.model.dispose();
      const { seconds: _s, model: _m, leaderboard, ...rest } = r;
      return { result: { ...rest, leaderboard: leaderboard.map(({ seconds: _t, ...e }) => e) }, reads: [...reads] };
    };
    const cached = await run();
    const rebuilt = await run(0);
    expect(rebuilt.result).toEqual(cached.result);
    const fits = cached.result.leaderboard.filter((e) => e.candidates).reduce((a, e) => a + e.candidates! * cached.result.folds, 0);
    expect(cached.reads).toHaveLength(fits);
    expect(rebuilt.reads).toHaveLength(fits);
    // Kept: one matrix per fold, shared by the families; rebuilt: one per fold and family.
    const k = cached.result.folds;
    expect(new Set(cached.reads).size).toBe(k);
    expect(new Set(rebuilt.reads).size).toBe(4 * k);
    // Rebuilt, each matrix is read by one unbroken run of fits, so it is garbage once the run ends.
    const runs = rebuilt.reads.filter((d, i) => i === 0 || d !== rebuilt.reads[i - 1]);
    expect(new Set(runs).size).toBe(runs.length);
  }, 120_000);
});

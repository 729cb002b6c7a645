import { describe, expect, it } from 'vitest';
import { rng, shuffle } from '../../src/prep/split.js';
import { Asha } from '../../src/tune/asha.js';

/** A learning curve that rises towards `q`: curves of different q never cross. */
const curve = (q: number) => (t: number) => q * (1 - Math.exp(-t / 4));

/** Runs trials one after another to the end or until pruned; returns each trial's last step. */
function runSequential(asha: Asha, trials: { id: number; score: (t: number) => number }[], max: number): Map<number, number> {
  const last = new Map<number, number>();
  for (const { id, score } of trials) {
    let t = 1;
    for (; t <= max; t++) if (asha.report(id, t, score(t)) === 'prune') break;
    last.set(id, Math.min(t, max));
  }
  return last;
}

describe('ASHA', () => {
  it('places rungs at minResource·η^k up to the full resource / η (the top rung is where trials finish)', () => {
    expect(new Asha({ maxResource: 81 }).rungs).toEqual([1, 3, 9, 27]);
    expect(new Asha({ maxResource: 100, minResource: 5, reductionFactor: 2 }).rungs).toEqual([5, 10, 20, 40]);
    // An MLP capped at 10 epochs is judged at epoch 3 only, never after 9 of its 10 epochs.
    expect(new Asha({ maxResource: 10, minResource: 3 }).rungs).toEqual([3]);
    expect(new Asha({ maxResource: 1 }).rungs).toEqual([]);
    expect(() => new Asha({ maxResource: 0 })).toThrow(/maxResource must be a positive number/);
    expect(() => new Asha({ maxResource: 10, minResource: 20 })).toThrow(/minResource must be in \(0, maxResource\]/);
    expect(() => new Asha({ maxResource: 10, reductionFactor: 1 })).toThrow(/reductionFactor must be above 1/);
  });

  it('with known curves: the best trials reach the full resource, the bad ones stop at the first rung', () => {
    // η = 3, rungs at 1, 3, 9; full resource 27. A trial passes a rung when it is in the top
    // max(1, ⌊n/3⌋) of the n scores recorded there so far.
    const asha = new Asha({ maxResource: 27, reductionFactor: 3, direction: 'maximize' });
    const q = [0.5, 0.9, 0.1, 0.7, 0.2, 0.95, 0.3, 0.6, 0.05];
    const last = runSequential(asha, q.map((qi, id) => ({ id, score: curve(qi) })), 27);
    // Rung 1 (n = 1..9): 0.5 passes (alone), 0.9 passes (best of 2), 0.1, 0.7, 0.2 fall below the
    // best, 0.95 passes (top 2 of 6), 0.3, 0.6 fail (top 2 of 7, 8), 0.05 fails (top 3 of 9).
    expect([...last]).toEqual([
      [0, 27], [1, 27], [2, 1], [3, 1], [4, 1], [5, 27], [6, 1], [7, 1], [8, 1],
    ]);
    expect(asha.stats()).toEqual([
      { resource: 1, reached: 9, promoted: 3 },
      { resource: 3, reached: 3, promoted: 3 },
      { resource: 9, reached: 3, promoted: 3 },
    ]);
    expect(asha.prunedRung(2)).toBe(0);
    expect(asha.prunedRung(1)).toBeUndefined();
    // A pruned trial stays pruned whatever it reports after.
    expect(asha.report(2, 2, 100)).toBe('prune');
  });

  it('promotes the top 1/η at the first rung as the theory says, over random arrival orders', () => {
    // Trials arrive in a random order; the i-th to reach a rung ranks uniformly among the first i
    // (Rényi), independently of the others, so it passes with probability m_i / i where
    // m_i = max(1, ⌊i/η⌋): E[promoted] = Σ m_i/i and Var = Σ p_i(1 − p_i).
    const n = 81;
    const eta = 3;
    const reps = 300;
    const p = Array.from({ length: n }, (_, i) => Math.max(1, Math.floor((i + 1) / eta)) / (i + 1));
    const expected = p.reduce((a, b) => a + b, 0);
    const sd = Math.sqrt(p.reduce((a, pi) => a + pi * (1 - pi), 0));
    let sum = 0;
    for (let r = 0; r < reps; r++) {
      const order = shuffle(Array.from({ length: n }, (_, i) => i), rng(100 + r));
      const asha = new Asha({ maxResource: 81, reductionFactor: eta });
      const last = runSequential(asha, order.map((id) => ({ id, score: curve(id + 1) })), 81);
      const stats = asha.stats();
      sum += stats[0]!.promoted;
      // Every promotion shows up at the next rung; fewer trials at each rung; the best always finishes.
      for (let k = 0; k + 1 < stats.length; k++) expect(stats[k + 1]!.reached).toBe(stats[k]!.promoted);
      expect(stats.map((s) => s.reached)).toEqual([...stats.map((s) => s.reached)].sort((a, b) => b - a));
      expect(last.get(n - 1)).toBe(81);
    }
    const mean = sum / reps;
    expect(expected).toBeCloseTo(26.76, 2); // ≈ n/η = 27, less the early ⌊i/η⌋ rounding, plus the bootstrap
    expect(Math.abs(mean - expected)).toBeLessThan((4 * sd) / Math.sqrt(reps));
  });

  it('tends to promoting exactly 1/η of a large rung', () => {
    const n = 2187;
    const order = shuffle(Array.from({ length: n }, (_, i) => i), rng(7));
    const asha = new Asha({ maxResource: 3, reductionFactor: 3 });
    for (const id of order) asha.report(id, 1, id);
    const frac = asha.stats()[0]!.promoted / n;
    expect(frac).toBeGreaterThan(1 / 3 - 0.02);
    expect(frac).toBeLessThan(1 / 3 + 0.02);
  });

  it('minimises, judges every rung a long step passes, and prunes diverged scores', () => {
    const asha = new Asha({ maxResource: 27, direction: 'minimize' });
    expect(asha.report(1, 10, 0.5)).toBe('continue'); // rungs 1, 3, 9 at once
    expect(asha.stats().map((s) => s.reached)).toEqual([1, 1, 1]);
    expect(asha.report(2, 1, 0.9)).toBe('prune'); // not the lowest of 2 (0.5)
    expect(asha.report(3, 1, 0.3)).toBe('continue'); // the lowest of 3
    expect(asha.report(4, 1, 0.4)).toBe('prune'); // top ⌊4/3⌋ = 1 only
    expect(asha.report(5, 1, Number.NaN)).toBe('prune');
    expect(() => asha.report(6, 1, 0.3, 'maximize')).toThrow(/a score to maximize was reported to a scheduler that minimizes/);
  });

  it('restores rungs from stored intermediate values, so a resumed study decides as before', () => {
    const curves = [0.5, 0.9, 0.1, 0.7].map((q, id) => ({ id, score: curve(q) }));
    const first = new Asha({ maxResource: 27 });
    runSequential(first, curves, 27);
    const resumed = new Asha({ maxResource: 27 });
    for (const { id, score } of curves) {
      const pruned = first.prunedRung(id) !== undefined;
      const steps = pruned ? 1 : 27;
      resumed.restore(id, Array.from({ length: steps }, (_, i) => ({ step: i + 1, value: score(i + 1) })), pruned);
    }
    expect(resumed.stats()).toEqual(first.stats());
    const next = { id: 9, score: curve(0.8) };
    const a = runSequential(first, [next], 27);
    const b = runSequential(resumed, [next], 27);
    expect(b).toEqual(a);
    expect(a.get(9)).toBe(1); // 0.8 is not in the top ⌊5/3⌋ = 1 (0.9)
  });
});

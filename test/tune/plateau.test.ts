import { describe, expect, it } from 'vitest';
import { lastGain, onPlateau, PLATEAU } from '../../src/tune/plateau.js';

const flatAfter = (gains: number[], total: number, tail: number): number[] => [...gains, ...Array<number>(total - gains.length).fill(tail)];

describe('lastGain', () => {
  it('is the trial of the last new best by more than the tolerance, ignoring pruned and failed trials', () => {
    expect(lastGain([null, 0.7, 0.72, 0.71, null, 0.75, 0.7501], 'maximize', 1e-3)).toBe(5);
    expect(lastGain([null, null], 'maximize', 1e-3)).toBe(-1);
    expect(lastGain([0.7, Number.NaN, 0.8], 'maximize', 1e-3)).toBe(2);
  });

  it('measures gains against the last real gain, so a creep of tiny ones counts once it adds up', () => {
    // Each step is +0.0004 on 0.8 (0.05 %): the third step is 0.0012 above 0.8, beyond 0.1 %.
    expect(lastGain([0.8, 0.8004, 0.8008, 0.8012, 0.8013], 'maximize', 1e-3)).toBe(3);
  });

  it('reads a lower value as better when minimising (RMSE)', () => {
    expect(lastGain([10, 9, 9.995, 8, 8.5], 'minimize', 1e-3)).toBe(3);
    expect(lastGain([10, 9, 9.995, 8, 8.5], 'maximize', 1e-3)).toBe(0);
  });
});

describe('onPlateau', () => {
  it('never stops before the minimum number of trials', () => {
    expect(onPlateau(flatAfter([0.8], PLATEAU.minTrials - 1, 0.7), 'maximize')).toBe(false);
    expect(onPlateau(flatAfter([0.8], PLATEAU.minTrials, 0.7), 'maximize')).toBe(true);
  });

  it('waits twice as many trials as the last real gain took', () => {
    const gainAt39 = [...flatAfter([0.7], 39, 0.69), 0.75];
    expect(onPlateau([...gainAt39, ...Array<number>(39).fill(0.7)], 'maximize')).toBe(false); // 79 trials
    expect(onPlateau([...gainAt39, ...Array<number>(40).fill(0.7)], 'maximize')).toBe(true); // 80 = 2 × (39 + 1)
  });

  it('keeps searching while gains are real, and stops once they are below the tolerance', () => {
    const rising = Array.from({ length: 60 }, (_, i) => 0.6 + 0.01 * i);
    expect(onPlateau(rising, 'maximize')).toBe(false);
    const creeping = [0.8, ...Array.from({ length: 59 }, (_, i) => 0.8 + 1e-5 * (i + 1))];
    expect(onPlateau(creeping, 'maximize')).toBe(true);
  });

  it('counts pruned and failed trials as trials run', () => {
    expect(onPlateau([0.8, ...Array<null>(PLATEAU.minTrials - 1).fill(null)], 'maximize')).toBe(true);
  });
});

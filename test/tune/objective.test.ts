import { describe, expect, it } from 'vitest';
import { maxResource, prepareObjective, runTrial } from '../../src/tune/objective.js';
import { CANCER } from '../helpers.js';

describe('tuning trials (the objective)', () => {
  it.each(['xgboost', 'forest', 'mlp'] as const)('%s: a regression trial reports validation RMSE in target units, as the trial is judged', async (family) => {
    const data = await prepareObjective(CANCER, { target: 'mean_area', seed: 3 });
    const reports: { step: number; value: number }[] = [];
    const params = family === 'mlp' ? { epochs: 15, patience: 0, hidden: [16] } : family === 'xgboost' ? { rounds: 40, earlyStoppingRounds: 0 } : { trees: 50 };
    const r = await runTrial(data, family, params, { seed: 3, xgbThreads: 1, reportEvery: 1, onReport: (step, value) => reports.push({ step, value }) });
    const last = reports.at(-1)!;
    expect(last.step).toBe(maxResource(family, params));
    // The engine's last validation loss, turned into RMSE in target units, is the trial's value
    // when the fit ends at its last step (no early stopping here).
    expect(last.value).toBeCloseTo(r.value, 0);
    expect(Math.abs(last.value - r.value) / r.value).toBeLessThan(1e-3);
  });
});

import { describe, expect, it } from 'vitest';
import { readTable } from '../../src/data/readers/index.js';
import { addon } from '../../src/engine/addon.js';
import { lrSchedule } from '../../src/models/spec.js';
import { train } from '../../src/train/train.js';
import { CREDIT, blobs } from '../helpers.js';

describe('models: families on real data and engine options', () => {
  it.each(['logistic', 'mlp', 'xgboost'] as const)('%s handles a multi-class target (credit-g housing: rent / own / for free)', async (model) => {
    const r = await train(CREDIT, { target: 'housing', model });
    expect(r.model.classes).toEqual(['rent', 'own', 'for free']);
    expect(r.test.task === 'classification' && r.test.confusion.length).toBe(3);
    // property_magnitude and other columns carry real signal about housing.
    expect(r.test.task === 'classification' && r.test.rocAuc).toBeGreaterThan(0.7);
    const probs = await r.model.predictTable((await readTable(CREDIT)).take([0, 1, 2]));
    expect(probs).toHaveLength(9);
    for (let i = 0; i < 3; i++) expect(probs[3 * i]! + probs[3 * i + 1]! + probs[3 * i + 2]!).toBeCloseTo(1, 5);
    r.model.dispose();
  });

  it('the engine follows the per-epoch learning-rate schedule computed in TS', async () => {
    const { TorchMlp } = addon();
    const { x, y } = blobs(256, 4);
    const lrs = lrSchedule({ lr: 0.1, schedule: 'step', epochs: 6 });
    expect(Array.from(lrs).map((v) => +v.toPrecision(3))).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    const seen: number[] = [];
    const m = new TorchMlp({ inputDim: 4, outputDim: 2, hidden: [], activation: 'relu', dropout: 0, batchNorm: false, seed: 1 });
    await m.fit({ x, y }, { task: 'classification', epochs: 6, batchSize: 32, optimizer: 'sgd', lrPerEpoch: lrs, weightDecay: 0, patience: 0, seed: 1, threads: 1 }, (e) => seen.push(e.lr));
    expect(seen).toEqual(Array.from(lrs));
    m.dispose();
    const cos = lrSchedule({ lr: 1, schedule: 'cosine', epochs: 4 });
    expect(cos[0]).toBe(1);
    expect(cos[2]).toBeCloseTo(0.5);
  });

  it('balanced class weights raise recall of the minority class (credit-g: bad is 30 %)', async () => {
    const recallBad = async (classWeights: 'none' | 'balanced') => {
      const r = await train(CREDIT, { target: 'class', model: 'logistic', params: { logistic: { classWeights } } });
      r.model.dispose();
      return r.test.task === 'classification' ? r.test.perClass[1]!.recall : NaN;
    };
    const plain = await recallBad('none');
    const balanced = await recallBad('balanced');
    expect(balanced).toBeGreaterThan(plain + 0.1);
  });
});

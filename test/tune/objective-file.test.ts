import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareObjective, runTrial } from '../../src/tune/objective.js';
import { readObjectiveFile, writeObjectiveFile } from '../../src/tune/objective-file.js';
import { CANCER, CREDIT, tmp } from '../helpers.js';

const dir = tmp();

describe('the objective file tuning workers read', () => {
  it('round-trips a classification objective exactly, and a trial on it scores as on the parsed data', async () => {
    const data = await prepareObjective(CREDIT, { target: 'class', seed: 7 });
    const file = join(dir, 'credit.safetensors');
    await writeObjectiveFile(file, data);
    const back = await readObjectiveFile(file);
    expect(back.train.x).toEqual(data.train.x);
    expect(back.train.y).toBeInstanceOf(Int32Array);
    expect(back.train.y).toEqual(data.train.y);
    expect(back.val.x).toEqual(data.val.x);
    expect(back.val.y).toEqual(data.val.y);
    const { train: _t, val: _v, ...info } = data;
    const { train: _bt, val: _bv, ...backInfo } = back;
    expect(backInfo).toEqual(info);
    const a = await runTrial(data, 'xgboost', { rounds: 30 }, { seed: 7, xgbThreads: 1 });
    const b = await runTrial(back, 'xgboost', { rounds: 30 }, { seed: 7, xgbThreads: 1 });
    expect(b.value).toBe(a.value);
  });

  it('keeps regression targets as float32 with their scale', async () => {
    const data = await prepareObjective(CANCER, { target: 'mean_radius', seed: 1 });
    const file = join(dir, 'reg.safetensors');
    await writeObjectiveFile(file, data);
    const back = await readObjectiveFile(file);
    expect(back.task).toBe('regression');
    expect(back.train.y).toBeInstanceOf(Float32Array);
    expect(back.train.y).toEqual(data.train.y);
    expect([back.mean, back.std]).toEqual([data.mean, data.std]);
  });

  it('names a file that is not an objective file', async () => {
    const file = join(dir, 'bad.safetensors');
    writeFileSync(file, 'not a tensor file at all');
    await expect(readObjectiveFile(file)).rejects.toThrow(/bad\.safetensors is not a tuning objective file/);
  });
});

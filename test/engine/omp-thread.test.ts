import { describe, expect, it } from 'vitest';
import { addon } from '../../src/engine/addon.js';
import type { FitContext } from '../../src/models/member.js';
import { fitNet } from '../../src/models/net-family.js';
import { CnnParams } from '../../src/models/spec.js';
import { processThreads as threads } from '../helpers.js';

// Its own file, so its process starts with no OpenMP team anywhere.
describe('engine: one thread for OpenMP work', () => {
  it('an XGBoost fit after a CNN fit on two threads starts no second OpenMP team', async () => {
    // A second team puts more OpenMP threads than cores in the process and every barrier then
    // sleeps: XGBoost fits ran 7x slower after one 2-thread CNN fit on a libuv thread.
    const ctx: FitContext = { task: 'classification', numClasses: 2, numFeatures: 784, seed: 0, torchThreads: 2, xgbThreads: 2 };
    const images = new Float32Array(256 * 784).map((_, i) => ((i * 7919) % 97) / 97);
    const labels = Int32Array.from({ length: 256 }, (_, i) => i % 2);
    const net = await fitNet(CnnParams.parse({ epochs: 1 }), [1, 28, 28], { x: images, y: labels }, undefined, ctx);
    net.dispose();
    const before = threads();
    const n = 286;
    const d = 40;
    const x = new Float32Array(n * d).map((_, i) => ((i * 7919) % 101) / 101);
    const y = Float32Array.from({ length: n }, (_, i) => (x[i * d]! + x[i * d + 1]! > 1 ? 1 : 0));
    const { XgbModel } = addon();
    const booster = new XgbModel();
    const fit = await booster.fit({ x, y, numFeatures: d }, { params: { objective: 'binary:logistic', nthread: '2', max_depth: '4', tree_method: 'hist' }, rounds: 50, earlyStoppingRounds: 0 });
    expect(fit.rounds).toBe(50);
    booster.dispose();
    expect(threads(), "XGBoost's fit reuses the team the CNN fit started").toBe(before);
  });
});

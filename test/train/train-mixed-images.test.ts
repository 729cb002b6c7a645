import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImageColumn, isImageReference } from '../../src/data/infer.js';
import { readTable, tableFromRows } from '../../src/data/readers/index.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { decodeModel, encodeModel } from '../../src/models/artifact.js';
import { Pipeline } from '../../src/prep/pipeline.js';
import { chooseTableFamily, trainMixed } from '../../src/train/train-mixed.js';
import { train } from '../../src/train/train.js';
import { tmp } from '../helpers.js';
import { writeFashionTable } from './fashion-mixed.js';

const accuracy = (r: { test: { task: string } }) => (r.test as { accuracy: number }).accuracy;

describe('trainMixed: one network over an image column and a numeric column (Fashion-MNIST trouser/bag XOR amount)', () => {
  it('beats an image-only and a tabular-only model on the held-out rows; predicts and evaluates rows with image paths', async () => {
    const dir = tmp();
    const { csv } = await writeFashionTable(dir);
    const table = await readTable(csv);
    expect(isImageColumn(table.column('image_path'))).toBe(true);
    expect(chooseTableFamily(table, 'y')).toMatchObject({ family: 'mixed', textColumns: [], imageColumns: ['image_path'], reason: "image column 'image_path' beside 1 other column" });
    const o = { seed: 3, params: { epochs: 12 } };
    const mixed = await trainMixed(table, { target: 'y', ...o });
    const image = await trainMixed(table.drop(['amount']), { target: 'y', ...o });
    const tabular = await train(table, { target: 'y', seed: 3 }); // the tabular families skip the image column
    expect(mixed.split).toEqual(image.split);
    const [m, i, b] = [accuracy(mixed), accuracy(image), accuracy(tabular)];
    console.log(`held-out accuracy (${mixed.split.test} rows): mixed ${m.toFixed(3)}, image only ${i.toFixed(3)}, tabular only ${b.toFixed(3)}`);
    expect(m).toBeGreaterThan(0.75);
    expect(m - Math.max(i, b)).toBeGreaterThan(0.15);

    const model = mixed.model;
    expect(model.manifest.pipeline.steps).toEqual([expect.objectContaining({ kind: 'scale', column: 'amount' }), { kind: 'image', column: 'image_path', channels: 1, height: 28, width: 28 }]);
    expect(new Pipeline(model.manifest.pipeline).layout).toEqual({ tabular: 1, texts: [], images: [{ column: 'image_path', from: 1, channels: 1, height: 28, width: 28 }] });
    // Rows from a file elsewhere: relative paths resolve against that file's folder; the model file round-trips.
    const rows = (await readTable(csv)).take(Int32Array.from({ length: 20 }, (_, k) => k));
    const before = await model.predict(rows);
    const loaded = decodeModel(encodeModel(model), 'mixed.lepton');
    expect(await loaded.predict(rows)).toEqual(before);
    const report = await evaluate(loaded, csv);
    expect(report.task === 'classification' && report.accuracy).toBeGreaterThan(0.8);
    // The pipeline reads decoded images only: calling transform without the pre-pass says so.
    expect(() => loaded.pipeline.transform(tableFromRows([{ image_path: 'imgs/000.png', amount: 3 }], loaded.inputSchema))).toThrow(/images of column 'image_path' were not decoded/);
    expect(tabular.model.manifest.pipeline.skipped).toEqual([{ column: 'image_path', reason: 'images are read by mixed models only (--model mixed)' }]);
    loaded.dispose();
    model.dispose();
    image.model.dispose();
    tabular.model.dispose();
  }, 60_000);

  it('names the row and file of a missing or broken image, resizes other sizes, and reads base64 and data URIs', async () => {
    const dir = tmp();
    const { csv, rows, png } = await writeFashionTable(dir, 60);
    const { model } = await trainMixed(csv, { target: 'y', seed: 1, params: { epochs: 1 } });
    const p0 = png.get(rows[0]!.image_path)!;
    const b64 = p0.toString('base64');
    expect(isImageReference(b64) && isImageReference(`data:image/png;base64,${b64}`) && isImageReference('a/b.JPG')).toBe(true);
    expect(isImageReference('a photo of a cat') || isImageReference('report.pdf')).toBe(false);
    const [fromFile] = await model.predict({ image_path: join(dir, rows[0]!.image_path), amount: rows[0]!.amount });
    const [fromB64, fromUri] = await model.predict([{ image_path: b64, amount: rows[0]!.amount }, { image_path: `data:image/png;base64,${b64}`, amount: rows[0]!.amount }]);
    expect(fromUri).toEqual(fromB64);
    // The same pixels as the file; a batch of two rows may take another BLAS kernel than one row,
    // so the probabilities agree to float rounding, not bit for bit.
    expect(fromB64!.label).toBe(fromFile!.label);
    for (const [label, p] of Object.entries(fromFile!.probabilities!)) expect(fromB64!.probabilities![label]).toBeCloseTo(p, 6);
    // A 56×56 RGB copy is resized and greyed to the model's 1×28×28.
    const sharp = (await import('sharp')).default;
    const big = await sharp(p0).resize(56, 56).toColourspace('srgb').png().toBuffer();
    const [resized] = await model.predict({ image_path: big.toString('base64'), amount: rows[0]!.amount });
    expect(resized!.label).toBe(fromFile!.label);
    writeFileSync(join(dir, 'broken.png'), p0.subarray(0, 30));
    writeFileSync(join(dir, 'new.csv'), `image_path,amount\nimgs/001.png,3\nnope.png,4\n`);
    await expect(model.predict(await readTable(join(dir, 'new.csv')))).rejects.toThrow(/cannot decode image nope\.png \(.*new\.csv line 3, column 'image_path'\)/);
    writeFileSync(join(dir, 'bad.csv'), `image_path,amount,y\n${rows.map((r, k) => `${k === 7 ? 'broken.png' : r.image_path},${r.amount},${r.y}`).join('\n')}\n`);
    await expect(trainMixed(join(dir, 'bad.csv'), { target: 'y', params: { epochs: 1 } })).rejects.toThrow(/cannot decode image broken\.png \(.*bad\.csv line 9, column 'image_path'\)/);
    model.dispose();
  }, 40_000);
});

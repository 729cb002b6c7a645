import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageFolder } from '../../src/data/images.js';
import { decodeModel, encodeModel, loadModel, ManifestZ, saveModel } from '../../src/models/artifact.js';
import { positiveF1, readTextArff } from '../../src/text/classify.js';
import { trainImages } from '../../src/train/train-images.js';
import { trainTexts } from '../../src/train/train-texts.js';
import { train } from '../../src/train/train.js';
import { fashion, writeFolder } from '../data/fixtures.js';
import { CREDIT, tmp } from '../helpers.js';

// Small network and rows so that the file runs in a few seconds on one thread.
const SMALL = { layers: [{ type: 'embedding', dim: 32 }, { type: 'transformer', heads: 2, ff: 64, layers: 1 }, { type: 'pool', mode: 'mean' }, { type: 'linear', out: 2 }], epochs: 4, lr: 3e-3 };

describe('trainTexts: a text model end to end (ReutersGrain)', () => {
  it('trains on the training split, stores the vocabulary, and predicts identically after save / load', async () => {
    const data = await readTextArff(join('data', 'ReutersGrain-train.arff'));
    const holdout = await readTextArff(join('data', 'ReutersGrain-test.arff'));
    const r = await trainTexts(data.texts, data.labels, data.classes, { seqLen: 64, params: SMALL, seed: 1 });
    expect(r.split).toMatchObject({ train: expect.any(Number), val: expect.any(Number), test: expect.any(Number) });
    expect(r.split.train + r.split.val + r.split.test).toBe(1554);
    expect(r.split.test).toBeGreaterThan(200);
    expect(r.truncated).toBeGreaterThan(0);
    expect(r.model.textInput?.seqLen).toBe(64);
    expect(r.model.textInput?.vocab.size).toBe(r.vocabSize);
    expect(r.model.manifest.input?.kind).toBe('text');
    expect(r.model.manifest.members[0]!.family).toBe('textnet');
    expect(r.test.task === 'classification' && r.test.rocAuc).toBeGreaterThan(0.8);
    const before = await r.model.predictTexts(holdout.texts);
    expect(before.truncated).toBeGreaterThan(0);
    expect(before.warnings[0]).toMatch(/truncated/);
    expect(positiveF1(before.probabilities, holdout.labels, 2).f1).toBeGreaterThan(0.4);
    const file = join(tmp(), 'grain.lepton');
    await saveModel(r.model, file);
    const loaded = await loadModel(file);
    const after = await loaded.predictTexts(holdout.texts);
    expect(after.probabilities).toEqual(before.probabilities);
    expect(after.truncated).toBe(before.truncated);
    // Errors: rows sent to a text model, an empty list, non-strings.
    await expect(loaded.predict({ text: 'wheat' })).rejects.toThrow(/this is a text model/);
    expect((await loaded.predictTexts([])).probabilities).toHaveLength(0);
    await expect(loaded.predictTexts([42 as unknown as string])).rejects.toThrow(/texts\[0\] is not a string/);
    r.model.dispose();
    loaded.dispose();
  }, 40_000);

  it('rejects bad input before training', async () => {
    const texts = Array.from({ length: 30 }, (_, i) => `text ${i}`);
    const labels = texts.map((_, i) => i % 2);
    await expect(trainTexts(texts, labels.slice(1), ['a', 'b'])).rejects.toThrow(/30 texts but 29 labels/);
    await expect(trainTexts(texts, labels, ['a'])).rejects.toThrow(/at least 2 are needed/);
    await expect(trainTexts(texts.slice(0, 5), labels.slice(0, 5), ['a', 'b'])).rejects.toThrow(/only 5 texts/);
    await expect(trainTexts(texts, labels, ['a', 'b'], { params: { epochs: 0 } })).rejects.toThrow(/text network parameter epochs/);
  });
});

describe('format 2 after text models: image and table models still load', () => {
  it('a table model and an image model round-trip, and a table model refuses texts', async () => {
    const t = await train(CREDIT, { target: 'class', model: 'logistic' });
    const table = decodeModel(encodeModel(t.model), 'table.lepton');
    expect(table.manifest.input).toBeUndefined();
    expect(table.textInput).toBeUndefined();
    await expect(table.predictTexts(['hello'])).rejects.toThrow(/this model reads table rows, not texts/);
    t.model.dispose();
    table.dispose();
    const dir = join(tmp(), 'scans');
    await writeFolder(dir, await fashion());
    const i = await trainImages(await readImageFolder(dir), { params: { epochs: 1 }, torchThreads: 1 });
    const image = decodeModel(encodeModel(i.model), 'image.lepton');
    expect(image.imageInput).toMatchObject({ channels: i.model.imageInput!.channels });
    expect(image.textInput).toBeUndefined();
    await expect(image.predictTexts(['hello'])).rejects.toThrow(/this model reads images, not texts/);
    // A manifest written before text models (image input without any text field) still parses.
    expect(ManifestZ.parse(JSON.parse(JSON.stringify(i.model.manifest))).input).toEqual(i.model.manifest.input);
    i.model.dispose();
    image.dispose();
  }, 40_000);
});

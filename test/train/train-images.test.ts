import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imagesFromIdx, takeImages } from '../../src/data/images.js';
import { locateFashionMnist, readIdx } from '../../src/data/readers/idx.js';
import { decodeModel, encodeModel } from '../../src/models/artifact.js';
import { trainImages } from '../../src/train/train-images.js';

const FASHION = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'];

describe('train: CNN on images', () => {
  it('learns real Fashion-MNIST images, saves, and loads to identical predictions', async () => {
    const dir = locateFashionMnist();
    const all = imagesFromIdx(await readIdx(join(dir, 't10k-images-idx3-ubyte.gz')), await readIdx(join(dir, 't10k-labels-idx1-ubyte.gz')), FASHION);
    const set = takeImages(all, Int32Array.from({ length: 3000 }, (_, i) => i));
    const events: string[] = [];
    const { model, test, split } = await trainImages(set, { params: { epochs: 3 }, seed: 7, torchThreads: 2, onProgress: (e) => events.push(e.type) });
    try {
      expect(split.train + split.val + split.test).toBe(3000);
      expect(Math.abs(split.test - 450)).toBeLessThan(10); // stratified: 15 % of each class
      expect(events.filter((e) => e === 'epoch').length).toBeGreaterThanOrEqual(1);
      // Ten classes, 2,100 training images, three epochs: a linear model reaches about 0.75 here.
      expect(test.task === 'classification' && test.accuracy).toBeGreaterThan(0.75);
      expect(model.imageInput).toMatchObject({ channels: 1, height: 28, width: 28 });
      expect(model.classes).toEqual(FASHION);
      const probe = takeImages(all, Int32Array.from({ length: 64 }, (_, i) => 5000 + i));
      const before = await model.predictImages(probe);
      const loaded = decodeModel(encodeModel(model), 'mem');
      try {
        expect(Array.from(await loaded.predictImages(probe))).toEqual(Array.from(before));
        await expect(loaded.predict({ p0: 1 })).rejects.toThrow(/this is an image model/);
        await expect(loaded.predictImages({ ...probe, height: 14, width: 56 })).rejects.toThrow(/images are 14×56×1, the model reads 28×28×1/);
      } finally {
        loaded.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('refuses a single class and too few images', async () => {
    const dir = locateFashionMnist();
    const all = imagesFromIdx(await readIdx(join(dir, 't10k-images-idx3-ubyte.gz')), await readIdx(join(dir, 't10k-labels-idx1-ubyte.gz')));
    await expect(trainImages(takeImages(all, [0, 1, 2]))).rejects.toThrow(/only 3 images; at least 20/);
    await expect(trainImages({ ...takeImages(all, Int32Array.from({ length: 30 }, (_, i) => i)), classes: ['only'], labels: new Int32Array(30) })).rejects.toThrow(/1 class; at least 2/);
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readFolder } from '../../src/data/folders.js';
import { decodeImageSet, encodeImageSet, imageTable, readImageFolder } from '../../src/data/images.js';
import { locateFashionMnist } from '../../src/data/readers/idx.js';
import { readTable } from '../../src/data/readers/index.js';
import { readTextFolder } from '../../src/data/readers/text-folder.js';
import { ROOT, tmp } from '../helpers.js';
import { CLASSES, fashion, writeFolder } from './fixtures.js';

describe('data: image folders, IDX and text folders', () => {
  it('decodes a class-per-folder tree of real PNGs to exactly the source pixels', async () => {
    const images = await fashion();
    const dir = join(tmp(), 'scans');
    await writeFolder(dir, images);
    const set = await readImageFolder(dir);
    expect([set.n, set.height, set.width, set.channels, set.resized]).toEqual([36, 28, 28, 1, 0]);
    expect(set.classes).toEqual(['pullover', 't-shirt', 'trouser']); // sorted folder names
    // Files are read class by class in name order: map each back to its source image.
    set.files.forEach((f, i) => {
      const src = images[Number(/(\d+)\.png$/.exec(f)![1])]!;
      expect(set.classes[set.labels[i]!]).toBe(CLASSES[src.label]);
      expect(Buffer.from(set.pixels.subarray(i * 784, (i + 1) * 784)).equals(Buffer.from(src.pixels))).toBe(true);
    });
    const back = decodeImageSet(encodeImageSet(set), 'mem');
    expect([back.n, back.height, back.channels, back.classes, back.files]).toEqual([36, 28, 1, set.classes, set.files]);
    expect(Buffer.from(back.pixels).equals(Buffer.from(set.pixels))).toBe(true);
    const table = imageTable(set);
    expect(table.columnNames).toEqual(['file', 'label', 'brightness', 'contrast']);
    const mean0 = images[Number(/(\d+)\.png$/.exec(set.files[0]!)![1])]!.pixels.reduce((a, b) => a + b, 0) / 784;
    expect(table.cell('brightness', 0)).toBeCloseTo(mean0, 6);
  });

  it('resizes odd sizes, reads JPEG and RGB, and honours --size/--channels', async () => {
    const images = await fashion();
    const dir = join(tmp(), 'mixed');
    await writeFolder(dir, images);
    const big = sharp(images[0]!.pixels, { raw: { width: 28, height: 28, channels: 1 } }).resize(56, 56).toColourspace('b-w');
    await big.clone().jpeg({ quality: 95 }).toFile(join(dir, 't-shirt', 'big.jpg'));
    const set = await readImageFolder(dir);
    expect([set.height, set.width, set.channels, set.resized]).toEqual([28, 28, 1, 1]);
    const i = set.files.indexOf(join('t-shirt', 'big.jpg'));
    const distance = (other: Uint8Array) => set.pixels.subarray(i * 784, (i + 1) * 784).reduce((a, v, k) => a + Math.abs(v - other[k]!), 0) / 784;
    // JPEG and resampling blur it, but it is still closer to its source than to any other picture.
    const others = images.slice(1).map((o) => distance(o.pixels));
    expect(distance(images[0]!.pixels)).toBeLessThan(Math.min(...others));
    await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 200, g: 30, b: 10 } } }).png().toFile(join(dir, 'trouser', 'red.png'));
    const rgb = await readImageFolder(dir, { size: [16, 20] });
    expect([rgb.height, rgb.width, rgb.channels]).toEqual([16, 20, 3]);
    const r = rgb.files.indexOf(join('trouser', 'red.png'));
    expect(Array.from(rgb.pixels.subarray(r * 960, r * 960 + 3))).toEqual([200, 30, 10]);
    const grey = await readImageFolder(dir, { channels: 1 });
    expect(grey.channels).toBe(1);
  });

  it('names the file that will not decode, a stray file and an empty class folder', async () => {
    const images = await fashion();
    const dir = join(tmp(), 'broken');
    await writeFolder(dir, images);
    const png = await sharp(images[0]!.pixels, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    writeFileSync(join(dir, 'trouser', 'cut.png'), png.subarray(0, 40));
    await expect(readImageFolder(dir)).rejects.toThrow(/cannot decode image .*trouser\/cut.png/);
    writeFileSync(join(dir, 'trouser', 'cut.png'), png);
    writeFileSync(join(dir, 'trouser', 'notes.docx'), 'x');
    await expect(readImageFolder(dir)).rejects.toThrow(/trouser\/notes.docx is not an image file/);
    const empty = join(tmp(), 'empty');
    mkdirSync(join(empty, 'a'), { recursive: true });
    await expect(readImageFolder(empty)).rejects.toThrow(/class folder .*empty\/a is empty/);
    await expect(readImageFolder(join(empty, 'a'))).rejects.toThrow(/has no class sub-folders/);
  });

  it('reads Fashion-MNIST IDX folders as images', async () => {
    const f = await readFolder(locateFashionMnist(), { split: 't10k' });
    expect(f.kind).toBe('images');
    if (f.kind !== 'images') return;
    expect([f.set.n, f.set.height, f.set.width, f.set.classes.length]).toEqual([10_000, 28, 28, 10]);
  });

  it('reads a text folder of real Reuters stories with their classes', async () => {
    const reuters = await readTable(join(ROOT, 'data', 'ReutersGrain-test.arff'));
    const dir = join(tmp(), 'news');
    for (const c of ['grain', 'other']) mkdirSync(join(dir, c), { recursive: true });
    let grain = 0;
    let firstGrain = '';
    for (let r = 0; r < reuters.numRows; r++) {
      const isGrain = reuters.cell('class-att', r) === '1';
      grain += isGrain ? 1 : 0;
      if (isGrain && !firstGrain) firstGrain = String(reuters.cell('Text', r)).trim();
      writeFileSync(join(dir, isGrain ? 'grain' : 'other', `${String(r).padStart(4, '0')}.txt`), String(reuters.cell('Text', r)));
    }
    const f = await readFolder(dir);
    expect(f.kind).toBe('texts');
    const raw = await readTextFolder(dir);
    expect(raw.cells[0]).toHaveLength(604);
    expect(raw.cells[1]!.filter((l) => l === 'grain')).toHaveLength(grain);
    expect(raw.cells[0]![0]).toBe(firstGrain); // 'grain' sorts first, files in name (= row) order
    writeFileSync(join(dir, 'other', 'latin.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await expect(readTextFolder(dir)).rejects.toThrow(/other\/latin.txt line 1 is not valid UTF-8/);
    expect(String((await readTextFolder(dir, 'latin1')).cells[0]!.at(-1))).toBe('café');
  });
});

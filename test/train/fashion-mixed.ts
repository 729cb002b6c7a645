/**
 * A table where the label needs both an image and a number: real Fashion-MNIST test images of
 * trousers and bags (28×28 grey PNGs written losslessly to imgs/NNN.png), an `amount` drawn
 * independently of the image, and y = trouser XOR (amount > median). Neither column alone says
 * anything about y (each half of either column is half 'yes'), so an image-only or tabular-only
 * model sits near chance while a model that combines them can be right most of the time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imagesFromIdx } from '../../src/data/images.js';
import { tableFromRows } from '../../src/data/readers/index.js';
import { locateFashionMnist, readIdx } from '../../src/data/readers/idx.js';
import { toCsv } from '../../src/data/writers/csv.js';

export interface FashionRow {
  image_path: string;
  amount: number;
  y: 'yes' | 'no';
}

/** `n` rows (half trousers, half bags) with their PNGs under `dir`/imgs; the PNG bytes by path. */
export async function fashionRows(dir: string, n = 360, seed = 5): Promise<{ rows: FashionRow[]; png: Map<string, Buffer> }> {
  const root = locateFashionMnist();
  const set = imagesFromIdx(await readIdx(join(root, 't10k-images-idx3-ubyte.gz')), await readIdx(join(root, 't10k-labels-idx1-ubyte.gz')));
  const TROUSER = 1;
  const BAG = 8;
  const picked: number[] = [];
  const count = { [TROUSER]: 0, [BAG]: 0 } as Record<number, number>;
  for (let i = 0; i < set.n && picked.length < n; i++) {
    const l = set.labels[i]!;
    if ((l === TROUSER || l === BAG) && count[l]! < n / 2) {
      count[l]!++;
      picked.push(i);
    }
  }
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const amounts = picked.map(() => Math.round(rand() * 10000) / 100);
  const median = [...amounts].sort((a, b) => a - b)[amounts.length >> 1]!;
  mkdirSync(join(dir, 'imgs'), { recursive: true });
  const png = new Map<string, Buffer>();
  const rows = await Promise.all(
    picked.map(async (i, k) => {
      const path = `imgs/${String(k).padStart(3, '0')}.png`;
      const bytes = await sharp(set.pixels.subarray(i * 784, (i + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toBuffer();
      writeFileSync(join(dir, path), bytes);
      png.set(path, bytes);
      return { image_path: path, amount: amounts[k]!, y: (set.labels[i] === TROUSER) !== amounts[k]! > median ? 'yes' : 'no' } as FashionRow;
    }),
  );
  return { rows, png };
}

/** The rows as `dir`/table.csv (image paths relative to it); returns the CSV's path. */
export async function writeFashionTable(dir: string, n?: number): Promise<{ csv: string; rows: FashionRow[]; png: Map<string, Buffer> }> {
  const r = await fashionRows(dir, n);
  const csv = join(dir, 'table.csv');
  writeFileSync(csv, toCsv(tableFromRows(r.rows)));
  return { csv, ...r };
}

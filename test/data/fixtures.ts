import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imagesFromIdx } from '../../src/data/images.js';
import { locateFashionMnist, readIdx } from '../../src/data/readers/idx.js';
import { readTable } from '../../src/data/readers/index.js';
import { CREDIT } from '../helpers.js';

/** Customers with planted personal data, some of it with broken checksums that must not count. */
export function plantedCustomers(n = 40): Record<string, string | number>[] {
  const cards = ['4111 1111 1111 1111', '5500-0000-0000-0004', '340000000000009'];
  const ibans = ['GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000', 'FR1420041010050500013M02606'];
  const ids = ['11010519491231002X', '440524199003071236'];
  return Array.from({ length: n }, (_, i) => ({
    customer_name: `Person ${i}`,
    email: `user${i}@example.com`,
    phone: `+44 20 7946 ${String(1000 + i).padStart(4, '0')}`,
    card: cards[i % cards.length]!,
    iban: ibans[i % ibans.length]!,
    national_id: ids[i % ids.length]!,
    last_ip: `10.0.${i % 256}.${(i * 7) % 256}`,
    note: i % 2 ? 'prefers email' : 'call after 5pm',
    amount: 100 + i,
  }));
}

/** credit-g, deliberately dirtied: duplicates, holes, outliers, personal data, a leak, a constant. */
export async function dirtyCredit(): Promise<Record<string, string | number | null>[]> {
  const t = await readTable(CREDIT);
  const rows = Array.from({ length: t.numRows }, (_, r) => Object.fromEntries(t.columnNames.map((c) => [c, t.cell(c, r) as string | number | null])));
  rows.forEach((row, i) => {
    if (i % 20 === 0) row.age = null;
    if (i % 250 === 0) row.credit_amount = 10_000_000;
    row.email = `applicant${i}@bank.example`;
    row.decision_code = row.class === 'bad' ? 'R' : 'A'; // recorded after the outcome: a leak
    row.branch = 'main';
  });
  return [...rows, ...rows.slice(0, 15).map((r) => ({ ...r }))];
}

export const CLASSES = ['t-shirt', 'trouser', 'pullover'];

/** Real Fashion-MNIST test images of classes 0–2, 12 each, as {class, pixels}. */
export async function fashion(): Promise<{ label: number; pixels: Uint8Array }[]> {
  const dir = locateFashionMnist();
  const set = imagesFromIdx(await readIdx(join(dir, 't10k-images-idx3-ubyte.gz')), await readIdx(join(dir, 't10k-labels-idx1-ubyte.gz')));
  const out: { label: number; pixels: Uint8Array }[] = [];
  for (let i = 0; i < set.n && out.length < 36; i++) {
    const label = set.labels[i]!;
    if (label < 3 && out.filter((o) => o.label === label).length < 12) out.push({ label, pixels: set.pixels.slice(i * 784, (i + 1) * 784) });
  }
  return out;
}

/** scans/<class>/NN.png, written losslessly by sharp from the IDX pixels. */
export async function writeFolder(dir: string, images: { label: number; pixels: Uint8Array }[]): Promise<void> {
  for (const c of CLASSES) mkdirSync(join(dir, c), { recursive: true });
  await Promise.all(images.map((img, i) => sharp(img.pixels, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toFile(join(dir, CLASSES[img.label]!, `${String(i).padStart(2, '0')}.png`))));
}


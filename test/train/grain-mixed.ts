/**
 * A table where the label needs both a text and a number: Reuters stories (ReutersGrain train +
 * test, every grain story and as many others, first 1,500 characters) with an `amount` drawn
 * independently of the story, and y = grain XOR (amount > median). Neither column alone says
 * anything about y (each half of either column is half 'yes'), so a text-only or tabular-only
 * model sits near chance while a model that combines them can be right most of the time.
 */
import { join } from 'node:path';
import { tableFromRows } from '../../src/data/readers/index.js';
import type { Table } from '../../src/data/table.js';
import { readTextArff } from '../../src/text/classify.js';
import { ROOT } from '../helpers.js';

export interface GrainRow {
  story: string;
  amount: number;
  y: 'yes' | 'no';
}

export async function grainRows(seed = 7): Promise<GrainRow[]> {
  const sets = await Promise.all(['train', 'test'].map((s) => readTextArff(join(ROOT, 'data', `ReutersGrain-${s}.arff`))));
  const texts = sets.flatMap((d) => d.texts);
  const labels = sets.flatMap((d) => Array.from(d.labels));
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const shuffle = <T>(x: T[]) => {
    for (let i = x.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [x[i], x[j]] = [x[j]!, x[i]!];
    }
    return x;
  };
  const grain = labels.flatMap((l, i) => (l === 1 ? [i] : []));
  const other = shuffle(labels.flatMap((l, i) => (l === 0 ? [i] : []))).slice(0, grain.length);
  const picked = shuffle([...grain, ...other]);
  const amounts = picked.map(() => Math.round(Math.exp(3 + 2 * rand()) * 100) / 100);
  const median = [...amounts].sort((a, b) => a - b)[amounts.length >> 1]!;
  return picked.map((i, k) => ({ story: texts[i]!.slice(0, 1500), amount: amounts[k]!, y: (labels[i] === 1) !== amounts[k]! > median ? 'yes' : 'no' }));
}

export async function grainTable(seed = 7): Promise<Table> {
  return tableFromRows(await grainRows(seed));
}

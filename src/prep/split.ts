/**
 * Seeded splits: stratified train/validation/test and k folds (each class's share equal
 * across parts; regression targets stratified by quantile bins), random, by group (no group in
 * two parts) and by time (the future never trains).
 * @module
 */

export interface Split {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

const sortedParts = (train: number[], val: number[], test: number[]): Split => ({
  train: Int32Array.from(train).sort(),
  val: Int32Array.from(val).sort(),
  test: Int32Array.from(test).sort(),
});

/** mulberry32: small, fast, good enough for shuffling with a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(a: T[], random: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Groups positions 0..n-1 by stratum: class index, or quantile bin of a numeric target. */
export function strata(y: Int32Array | Float32Array): number[][] {
  const groups = new Map<number, number[]>();
  let keys: ArrayLike<number> = y;
  if (y instanceof Float32Array) {
    const order = Array.from(y.keys()).sort((a, b) => y[a]! - y[b]!);
    const bins = new Int32Array(y.length);
    const nb = Math.max(1, Math.min(10, Math.floor(y.length / 10)));
    order.forEach((pos, rank) => (bins[pos] = Math.floor((rank * nb) / y.length)));
    keys = bins;
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(i);
  }
  return [...groups.keys()].sort((a, b) => a - b).map((k) => groups.get(k)!);
}

/** Splits positions into train/validation/test with the given fractions of each stratum. */
export function stratifiedSplit(
  y: Int32Array | Float32Array,
  fractions: { val: number; test: number },
  seed: number,
): Split {
  const random = rng(seed);
  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  for (const g of strata(y)) {
    shuffle(g, random);
    const nTest = Math.round(g.length * fractions.test);
    const nVal = Math.round(g.length * fractions.val);
    test.push(...g.slice(0, nTest));
    val.push(...g.slice(nTest, nTest + nVal));
    train.push(...g.slice(nTest + nVal));
  }
  return sortedParts(train, val, test);
}

/** k stratified folds: each position appears in exactly one fold. */
export function stratifiedFolds(y: Int32Array | Float32Array, k: number, seed: number): Int32Array[] {
  const random = rng(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const g of strata(y)) {
    shuffle(g, random);
    // Deal round-robin, continuing across strata, so fold sizes differ by at most one.
    for (const pos of g) folds[next++ % k]!.push(pos);
  }
  return folds.map((f) => Int32Array.from(f).sort());
}

/** Plain shuffled split of n positions. */
export function randomSplit(n: number, fractions: { val: number; test: number }, seed: number): Split {
  const order = shuffle(Array.from({ length: n }, (_, i) => i), rng(seed));
  const nTest = Math.round(n * fractions.test);
  const nVal = Math.round(n * fractions.val);
  return sortedParts(order.slice(nTest + nVal), order.slice(nTest, nTest + nVal), order.slice(0, nTest));
}

/**
 * Whole groups go to one part (no customer, patient or device in two splits): groups are
 * shuffled, then dealt to test and validation until each holds its share of rows.
 */
export function groupSplit(groups: readonly (string | null)[], fractions: { val: number; test: number }, seed: number): Split {
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const key = g ?? `\u0000row${i}`; // a row without a group is its own group
    let m = members.get(key);
    if (!m) members.set(key, (m = []));
    m.push(i);
  });
  const keys = shuffle([...members.keys()].sort(), rng(seed));
  const n = groups.length;
  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  for (const k of keys) {
    const rows = members.get(k)!;
    if (test.length + rows.length / 2 <= n * fractions.test) test.push(...rows);
    else if (val.length + rows.length / 2 <= n * fractions.val) val.push(...rows);
    else train.push(...rows);
  }
  return sortedParts(train, val, test);
}

/** Time-ordered: the earliest rows train, later ones validate, the latest test (no peeking ahead). */
export function timeSplit(times: ArrayLike<number>, fractions: { val: number; test: number }): Split {
  const order = Array.from({ length: times.length }, (_, i) => i).sort((a, b) => (times[a]! - times[b]!) || a - b);
  const n = order.length;
  const nTest = Math.round(n * fractions.test);
  const nVal = Math.round(n * fractions.val);
  return sortedParts(order.slice(0, n - nTest - nVal), order.slice(n - nTest - nVal, n - nTest), order.slice(n - nTest));
}

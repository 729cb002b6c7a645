/**
 * Seeded, stratified splits: train/validation/test and k folds. Stratification keeps each
 * class's share equal across parts; regression targets are stratified by quantile bins.
 * @module
 */

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
): { train: Int32Array; val: Int32Array; test: Int32Array } {
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
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(train), val: sorted(val), test: sorted(test) };
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

/**
 * A SYNTHETIC run-to-failure data set (no real predictive-maintenance data is on this machine),
 * shaped like NASA's C-MAPSS turbofan tables: one row per unit and cycle, an operating-condition
 * setting, six noisy sensors and a per-row label `fail_soon` = 1 when the unit fails within
 * HORIZON cycles of that row. Each unit wears along h(t) = w0 + r·t^a up to failure at h = 1, with
 * its own initial wear, rate and curvature (lifetimes 40–250 cycles); the operating regime switches
 * every 5–20 cycles among three settings and shifts every sensor's baseline by more than the wear
 * moves it, and each reading carries Gaussian noise. Units are observed up to a cut-off cycle: for
 * about 45 % of them within HORIZON cycles of failure, for the rest 21–80 cycles before it. So one
 * row says little (regime shift + noise), while a unit's history shows its wear level and trend.
 * @module
 */

export const HORIZON = 20;
export const SENSORS = ['s1', 's2', 's3', 's4', 's5', 's6'] as const;

export type Reading = Record<string, number>;

function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, gauss, uniform: (lo: number, hi: number) => lo + (hi - lo) * next(), int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

// Per sensor: response to wear, baseline shift per regime, noise.
const GAIN = [2.0, -1.6, 1.2, 0, 1.5, -1.0];
const SHIFT = [
  [0, 2.5, -2.0],
  [0, -1.5, 3.0],
  [0, 3.0, 1.0],
  [0, 1.0, -1.0],
  [0, -2.5, 2.0],
  [0, 2.0, -3.0],
];
const NOISE = [0.6, 0.6, 0.5, 0.5, 0.6, 0.5];
const SETTINGS = [0, 0.5, 1.0];

/** `units` units' readings (rows in unit, cycle order), deterministic in `seed`. */
export function runToFailure(units: number, seed: number): Reading[] {
  const r = rng(seed);
  const rows: Reading[] = [];
  for (let u = 1; u <= units; u++) {
    const life = r.int(40, 250);
    const w0 = r.uniform(0, 0.25);
    const a = r.uniform(1.2, 2.2);
    const rate = (1 - w0) / life ** a;
    const rul = r.next() < 0.45 ? r.int(1, HORIZON) : r.int(HORIZON + 1, HORIZON + 60);
    const cut = Math.max(5, life - rul);
    let regime = r.int(0, 2);
    let switchAt = r.int(5, 20);
    for (let t = 1; t <= cut; t++) {
      if (t >= switchAt) {
        regime = r.int(0, 2);
        switchAt = t + r.int(5, 20);
      }
      const h = w0 + rate * t ** a;
      const row: Reading = { unit: u, cycle: t, setting: SETTINGS[regime]! };
      SENSORS.forEach((s, k) => (row[s] = Math.round((10 * (k + 1) + SHIFT[k]![regime]! + GAIN[k]! * h + NOISE[k]! * r.gauss()) * 1000) / 1000));
      row.fail_soon = life - t <= HORIZON ? 1 : 0;
      rows.push(row);
    }
  }
  return rows;
}

/** Each unit's last row only: what a tabular model sees. */
export function lastRows(rows: readonly Reading[]): Reading[] {
  const last = new Map<number, Reading>();
  for (const row of rows) last.set(row.unit!, row);
  return [...last.values()];
}

export function toCsv(rows: readonly Reading[]): string {
  const cols = Object.keys(rows[0]!);
  return `${cols.join(',')}\n${rows.map((row) => cols.map((c) => row[c]).join(',')).join('\n')}\n`;
}

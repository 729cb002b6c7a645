/**
 * Readable text and JSON for segmentation results: the choose-k table, then one block per
 * cluster (size, most distinctive columns, numeric means against the overall mean, top
 * categories against their overall share).
 * @module
 */
import { textTable } from '../eval/format.js';
import type { SegmentResult } from './kmeans.js';
import type { NumericProfile } from './profile.js';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function num(v: number | null, type: NumericProfile['type'] = 'numeric'): string {
  if (v === null || !Number.isFinite(v)) return '—';
  if (type === 'boolean') return pct(v);
  if (type === 'date') return new Date(v).toISOString().slice(0, 10);
  if (Math.abs(v) >= 1e4) return Math.round(v).toString();
  return Number(v.toPrecision(4)).toString();
}

const signed = (z: number | null) => (z === null ? '—' : `${z >= 0 ? '+' : ''}${z.toFixed(2)}`);

/** The choose-k table: k, inertia, silhouette, with the chosen k marked. */
export function formatChooseK(r: SegmentResult): string {
  const rows = [['k', 'inertia', 'silhouette', '']];
  for (const s of r.scores) rows.push([String(s.k), s.inertia.toFixed(1), s.silhouette === null ? '—' : s.silhouette.toFixed(4), s.k === r.k ? '← chosen' : '']);
  return textTable(rows);
}

export function formatSegment(r: SegmentResult): string {
  const out: string[] = [];
  if (r.chosenBy === 'auto') {
    out.push('Choosing k (silhouette: higher is better)', formatChooseK(r), '');
  }
  out.push(
    `${r.k} clusters over ${r.rows} rows, on ${r.columns.length} columns (${r.featureNames.length} features); ` +
      `silhouette ${r.silhouette === null ? '—' : r.silhouette.toFixed(4)}, inertia ${r.inertia.toFixed(1)}`,
  );
  const empty = r.sizes.filter((s) => s === 0).length;
  if (empty > 0) out.push(`note: ${empty} of the ${r.k} clusters ${empty > 1 ? 'are' : 'is'} empty: the data has fewer distinct rows than k`);
  if (r.skipped.length > 0) out.push(`left out: ${r.skipped.map((s) => `${s.column} (${s.reason})`).join(', ')}`);
  for (const p of r.profiles) {
    out.push('', `Cluster ${p.cluster}: ${p.size} rows (${pct(p.share)})`);
    if (p.distinctive.length > 0) {
      out.push(`  most distinctive: ${p.distinctive.map((d) => `${d.column} ${num(d.mean, d.type)} vs ${num(d.overall, d.type)} (z ${signed(d.z)})`).join('; ')}`);
    }
    if (p.numeric.length > 0) {
      const rows = [['  column', 'cluster mean', 'overall mean', 'z']];
      for (const m of p.numeric) rows.push([`  ${m.column}`, num(m.mean, m.type), num(m.overall, m.type), signed(m.z)]);
      out.push(textTable(rows));
    }
    if (p.categorical.length > 0) {
      const rows = [['  column', 'top category', 'in cluster', 'overall']];
      for (const c of p.categorical) rows.push([`  ${c.column}`, c.top ?? '—', pct(c.share), pct(c.overallShare)]);
      out.push(textTable(rows, 2));
    }
  }
  return out.join('\n');
}

/** The result as plain JSON (per-row labels and centroids left out: `--out` writes the labels). */
export function segmentSummary(r: SegmentResult): Omit<SegmentResult, 'labels' | 'centroids'> {
  const { labels: _labels, centroids: _centroids, ...rest } = r;
  return rest;
}

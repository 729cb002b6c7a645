/**
 * The quality report for people: an aligned text table for the terminal, and a
 * self-contained HTML page (inline SVG histograms, no scripts, no network) to open in a browser.
 * @module
 */
import { textTable } from '../eval/format.js';
import type { ColumnReport, QualityReport } from './inspect.js';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const num = (v: number | undefined) => (v === undefined ? '' : Math.abs(v) >= 1000 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(4));

function summary(c: ColumnReport): string {
  if (c.min !== undefined) return `${num(c.min)} … ${num(c.max)}, mean ${num(c.mean)}`;
  return (c.top ?? []).slice(0, 3).map((t) => `${t.value} (${t.count})`).join(', ');
}

function flags(c: ColumnReport, leaks: string[]): string {
  const f: string[] = [];
  if (c.constant) f.push('constant');
  else if (c.nearConstant) f.push('near-constant');
  if (c.outliersIqr) f.push(`${c.outliersIqr} outliers (IQR), ${c.outliersZ} (z>3)`);
  if (c.mixedNumericShare !== undefined) f.push('mixed types');
  if (c.pii) f.push(`PII: ${c.pii}`);
  if (leaks.includes(c.name)) f.push('LEAK?');
  return f.join('; ');
}

export function formatQuality(r: QualityReport): string {
  const rows = [['column', 'type', 'missing', 'distinct', 'summary', 'flags']];
  for (const c of r.columns) rows.push([c.name, c.type, pct(c.missingShare), String(c.distinct), summary(c).slice(0, 60), flags(c, r.leaks)]);
  const parts = [`${r.source ?? 'data'}: ${r.rows} rows, ${r.columns.length} columns, ${r.duplicateRows} duplicate rows`, textTable(rows, 2)];
  if (r.target) parts.push(`\nclass balance of '${r.target.column}': ${r.target.classes.map((k) => `${k.label} ${k.count} (${pct(k.share)})`).join(', ')}`);
  if (r.warnings.length) parts.push(`\nwarnings:\n${r.warnings.map((w) => `  - ${w}`).join('\n')}`);
  return parts.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function histogramSvg(c: ColumnReport): string {
  if (c.histogram) {
    const max = Math.max(...c.histogram.counts, 1);
    const bars = c.histogram.counts.map((v, i) => `<rect x="${i * 10}" y="${40 - (v / max) * 40}" width="9" height="${(v / max) * 40}"/>`).join('');
    return `<svg width="200" height="40" viewBox="0 0 200 40" role="img" aria-label="histogram of ${esc(c.name)}">${bars}</svg><div class="axis">${esc(num(c.histogram.min))} … ${esc(num(c.histogram.max))}</div>`;
  }
  const top = c.top ?? [];
  const max = Math.max(...top.map((t) => t.count), 1);
  return top.map((t) => `<div class="bar"><span style="width:${(t.count / max) * 120}px"></span>${esc(t.value)} (${t.count})</div>`).join('');
}

export function qualityHtml(r: QualityReport): string {
  const rows = r.columns
    .map((c) => `<tr><td>${esc(c.name)}</td><td>${c.type}</td><td>${pct(c.missingShare)}</td><td>${c.distinct}</td><td>${histogramSvg(c)}</td><td>${esc(flags(c, r.leaks))}</td></tr>`)
    .join('\n');
  const target = r.target ? `<h2>Class balance of ${esc(r.target.column)}</h2><ul>${r.target.classes.map((k) => `<li>${esc(k.label)}: ${k.count} (${pct(k.share)})</li>`).join('')}</ul>` : '';
  const warnings = r.warnings.length ? `<h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data quality: ${esc(r.source ?? 'data')}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:6px 10px;vertical-align:top;text-align:left}
svg rect{fill:#4a7bd0}.axis{font-size:11px;color:#666}.bar span{display:inline-block;height:10px;background:#4a7bd0;margin-right:6px}</style></head>
<body><h1>Data quality: ${esc(r.source ?? 'data')}</h1><p>${r.rows} rows, ${r.columns.length} columns, ${r.duplicateRows} duplicate rows.</p>
${warnings}${target}
<table><thead><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th><th>distribution</th><th>flags</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}

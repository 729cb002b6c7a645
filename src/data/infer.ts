/**
 * Turns raw cells (strings from text files, JSON values) into typed columns: infers a type
 * per column or coerces to a given schema, and rejects values that cannot be what the
 * schema says, naming the file line and column.
 * @module
 */
import { LeptonError } from '../errors.js';
import { isDict, Table, type Column, type ColumnSchema, type ColumnType } from './table.js';

/** A cell as a reader produced it. `null` / `undefined` = missing. */
export type RawCell = string | number | boolean | null | undefined;

export interface RawTable {
  names: string[];
  /** Column-major cells: `cells[col][row]`. */
  cells: RawCell[][];
  /** 1-based line of each row in the source file. */
  lines?: Int32Array;
  source?: string;
  /** Types the source declares (ARFF), by column name. */
  declared?: Map<string, ColumnSchema>;
}

/** Tokens that mean "no value" in text files. */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(['', '?', 'NA', 'N/A', 'na', 'n/a', 'null', 'NULL', 'None']);
/** Tokens that look numeric but are not finite numbers: rejected with a clear message. */
const NON_FINITE = new Set(['nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const IDENTIFIER_RE = /^[+-]?\d{16,}$/;
const LEADING_ZERO_RE = /^0\d+$/;
const BOOL_TRUE = new Set(['true', 'True', 'TRUE']);
const BOOL_FALSE = new Set(['false', 'False', 'FALSE']);
const DATE_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function isMissing(v: RawCell): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string') return MISSING_TOKENS.has(v.trim());
  return false;
}

/** Infers the type of one column from its non-missing cells. */
export function inferType(cells: readonly RawCell[]): ColumnType {
  let numeric = true;
  let bool = true;
  let date = true;
  let seen = 0;
  const distinct = new Set<string>();
  let words = 0;
  for (const raw of cells) {
    if (isMissing(raw)) continue;
    seen++;
    if (typeof raw === 'number') {
      bool = false;
      date = false;
      continue;
    }
    if (typeof raw === 'boolean') {
      numeric = false;
      date = false;
      continue;
    }
    const s = raw!.trim();
    if (numeric && !NUMBER_RE.test(s) && !NON_FINITE.has(s.toLowerCase())) numeric = false;
    // Digit strings a double cannot hold exactly (card numbers, national ids) or with leading
    // zeros (postcodes, account numbers) are identifiers, not quantities.
    if (numeric && (IDENTIFIER_RE.test(s) || LEADING_ZERO_RE.test(s))) numeric = false;
    if (bool && !BOOL_TRUE.has(s) && !BOOL_FALSE.has(s)) bool = false;
    if (date && !DATE_RE.test(s)) date = false;
    if (distinct.size <= 1000) distinct.add(s);
    words += s.split(/\s+/).length;
  }
  if (seen === 0) return 'numeric';
  if (numeric) return 'numeric';
  if (bool) return 'boolean';
  if (date) return 'date';
  return isFreeText(distinct.size, seen, words) ? 'text' : 'categorical';
}

/**
 * The one rule for free text, for every reader (the DuckDB scanner applies it to its sample):
 * more than 20 distinct values, over half of the values distinct (or over 1,000: inferType stops
 * counting there), and at least 3 whitespace-separated words per value on average. Identifiers
 * are one word and categories repeat, so both stay categorical. Text columns feed mixed models
 * and textnet as token ids (`lepton train --model auto` picks them from here); the tabular
 * families skip them.
 */
export function isFreeText(distinct: number, seen: number, words: number): boolean {
  return (distinct > 0.5 * seen || distinct > 1000) && distinct > 20 && words / seen >= 3;
}

/** Image file names (relative paths resolve against the table file's folder). */
const IMAGE_FILE_RE = /\.(png|jpe?g|webp|gif|tiff?)$/i;
const DATA_URI_RE = /^data:image\/[a-z0-9.+-]+;base64,/i;
/** The base64 of the first bytes of PNG, JPEG, GIF, WebP (RIFF) and TIFF (both byte orders) files. */
const BASE64_IMAGE_RE = /^(iVBORw0KGgo|\/9j\/|R0lGOD|UklGR|SUkqA|TU0AK)[A-Za-z0-9+/\r\n]{20,}=*$/;

/** A cell that names an image: a file name or path with an image extension, a data URI, or a base64 image file (rows sent over HTTP). */
export function isImageReference(value: string): boolean {
  const v = value.trim();
  return DATA_URI_RE.test(v) || BASE64_IMAGE_RE.test(v) || (IMAGE_FILE_RE.test(v) && !/[\r\n]/.test(v));
}

/**
 * The one rule for image columns (read by mixed models, src/data/image-columns.ts): a string
 * column with at least one value, every value an image reference. Inference keeps such a column
 * categorical (or text); the pipeline gives it an `image` step, and the tabular families skip it.
 */
export function isImageColumn(col: Column): boolean {
  if (!isDict(col)) return false;
  const used = new Uint8Array(col.dictionary.length);
  for (const c of col.codes) if (c >= 0) used[c] = 1;
  let seen = 0;
  for (let c = 0; c < used.length; c++) {
    if (!used[c]) continue;
    if (!isImageReference(col.dictionary[c]!)) return false;
    seen++;
  }
  return seen > 0;
}

/**
 * Builds a Table. Without `schema`, types come from the source's declarations or inference;
 * with it (prediction), cells are coerced to the training schema and new columns are ignored.
 */
export function toTable(raw: RawTable, schema?: readonly ColumnSchema[]): Table {
  const n = raw.cells[0]?.length ?? 0;
  const columns: Column[] = [];
  const plan: ColumnSchema[] = schema
    ? schema.filter((s) => raw.names.includes(s.name))
    : raw.names.map((name, i) => raw.declared?.get(name) ?? { name, type: inferType(raw.cells[i]!) });
  for (const s of plan) {
    const cells = raw.cells[raw.names.indexOf(s.name)]!;
    columns.push(convert(s, cells, raw, n));
  }
  return new Table(columns, n, { source: raw.source, lines: raw.lines });
}

function where(raw: RawTable, row: number): string {
  const line = raw.lines?.[row];
  if (raw.source && line !== undefined) return `${raw.source} line ${line}`;
  return `row ${row + 1}`;
}

function convert(s: ColumnSchema, cells: readonly RawCell[], raw: RawTable, n: number): Column {
  if (s.type === 'categorical' || s.type === 'text') {
    const dictionary = s.categories ? [...s.categories] : [];
    const index = new Map(dictionary.map((d, i) => [d, i]));
    const codes = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const v = cells[r];
      if (isMissing(v)) {
        codes[r] = -1;
        continue;
      }
      const key = typeof v === 'string' ? v.trim() : String(v);
      let code = index.get(key);
      if (code === undefined) {
        code = dictionary.length;
        dictionary.push(key);
        index.set(key, code);
      }
      codes[r] = code;
    }
    return { name: s.name, type: s.type, codes, dictionary };
  }
  const values = new Float64Array(n);
  for (let r = 0; r < n; r++) values[r] = parseValue(s, cells[r], () => where(raw, r));
  return { name: s.name, type: s.type, values };
}

function parseValue(s: ColumnSchema, v: RawCell, at: () => string): number {
  if (isMissing(v)) return NaN;
  const bad = (why: string, fix: string): never => {
    throw new LeptonError('E_VALUE', `${at()}, column '${s.name}': ${why}`, fix);
  };
  if (s.type === 'numeric') {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) bad(`${v} is not a finite number`, 'leave the cell empty (or null) for a missing value');
      return v;
    }
    if (typeof v === 'boolean') return v ? 1 : 0;
    const t = v!.trim();
    if (NON_FINITE.has(t.toLowerCase())) bad(`'${t}' is not a finite number`, 'leave the cell empty (or ?) for a missing value');
    if (!NUMBER_RE.test(t)) bad(`'${t}' is not a number`, 'fix the value, or declare the column categorical');
    return Number(t);
  }
  if (s.type === 'boolean') {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v === 1 || v === 0) return v;
    const t = String(v).trim();
    if (BOOL_TRUE.has(t) || t === '1') return 1;
    if (BOOL_FALSE.has(t) || t === '0') return 0;
    return bad(`'${t}' is not true or false`, 'use true/false');
  }
  // date
  const t = typeof v === 'number' ? v : Date.parse(String(v).trim());
  if (!Number.isFinite(t)) bad(`'${String(v)}' is not a date`, 'use ISO 8601, e.g. 2024-03-31');
  return t as number;
}

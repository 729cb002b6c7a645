/**
 * The in-memory columnar table every stage reads: numeric-like columns as Float64Array
 * (NaN = missing), string-like columns dictionary-encoded (code -1 = missing).
 * @module
 */
import { LeptonError, listNames } from '../errors.js';

export type ColumnType = 'numeric' | 'categorical' | 'boolean' | 'text' | 'date';

/** numeric: the number; boolean: 0/1; date: milliseconds since the epoch. NaN = missing. */
export interface ValueColumn {
  name: string;
  type: 'numeric' | 'boolean' | 'date';
  values: Float64Array;
}

/** Dictionary-encoded strings; `codes[i] === -1` is missing. */
export interface DictColumn {
  name: string;
  type: 'categorical' | 'text';
  codes: Int32Array;
  dictionary: string[];
}

export type Column = ValueColumn | DictColumn;

export function isDict(c: Column): c is DictColumn {
  return c.type === 'categorical' || c.type === 'text';
}

export interface ColumnSchema {
  name: string;
  type: ColumnType;
  /** Declared category order (ARFF nominal attributes); otherwise first-seen order. */
  categories?: string[];
}

export class Table {
  readonly columns: readonly Column[];
  readonly numRows: number;
  /** Where each row came from (1-based file line), for error messages. */
  readonly sourceLines: Int32Array | undefined;
  readonly source: string | undefined;
  private readonly byName: Map<string, Column>;

  constructor(columns: Column[], numRows: number, origin?: { source?: string; lines?: Int32Array }) {
    this.columns = columns;
    this.numRows = numRows;
    this.source = origin?.source;
    this.sourceLines = origin?.lines;
    this.byName = new Map(columns.map((c) => [c.name, c]));
  }

  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  get schema(): ColumnSchema[] {
    return this.columns.map((c) =>
      isDict(c) ? { name: c.name, type: c.type, categories: c.dictionary } : { name: c.name, type: c.type },
    );
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The named column, or an error that lists the columns the table has. */
  column(name: string): Column {
    const c = this.byName.get(name);
    if (!c) {
      throw new LeptonError(
        'E_COLUMN',
        `column '${name}' not found${this.source ? ` in ${this.source}` : ''}; the columns are ${listNames(this.columnNames)}`,
        'check the spelling (names are case-sensitive)',
      );
    }
    return c;
  }

  /** "file.csv line 12" or "row 12" for messages. */
  where(row: number): string {
    const line = this.sourceLines?.[row];
    if (this.source && line !== undefined) return `${this.source} line ${line}`;
    return `row ${row + 1}`;
  }

  /** A new table holding the given rows, in that order. */
  take(rows: ArrayLike<number>): Table {
    const cols = this.columns.map((c): Column => {
      if (isDict(c)) {
        const codes = new Int32Array(rows.length);
        for (let i = 0; i < rows.length; i++) codes[i] = c.codes[rows[i]!]!;
        return { ...c, codes };
      }
      const values = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) values[i] = c.values[rows[i]!]!;
      return { ...c, values };
    });
    let lines: Int32Array | undefined;
    if (this.sourceLines) {
      lines = new Int32Array(rows.length);
      for (let i = 0; i < rows.length; i++) lines[i] = this.sourceLines[rows[i]!]!;
    }
    return new Table(cols, rows.length, { source: this.source, lines });
  }

  /** The table without the named columns. */
  drop(names: readonly string[]): Table {
    for (const n of names) this.column(n);
    const cols = this.columns.filter((c) => !names.includes(c.name));
    return new Table(cols, this.numRows, { source: this.source, lines: this.sourceLines });
  }

  /** Cell as a plain JS value (string, number, boolean, Date ISO string or null). */
  cell(name: string, row: number): string | number | boolean | null {
    const c = this.column(name);
    if (isDict(c)) {
      const code = c.codes[row]!;
      return code < 0 ? null : c.dictionary[code]!;
    }
    const v = c.values[row]!;
    if (Number.isNaN(v)) return null;
    if (c.type === 'boolean') return v === 1;
    if (c.type === 'date') return new Date(v).toISOString();
    return v;
  }
}

/** True when the column has no value in any row. */
export function isAllMissing(c: Column): boolean {
  if (isDict(c)) return c.codes.every((v) => v < 0);
  return c.values.every((v) => Number.isNaN(v));
}

/**
 * User histories for recommendation, from either shape of table:
 * - baskets: one row per basket, one binary column per item (Weka's supermarket.arff: `t` =
 *   bought, `?` = not). A basket records no order, so its items are put in a seeded random order
 *   (or column order, `order: 'column'`) and a basket plays the role of a user: predicting its
 *   held-out last item from the others is basket completion.
 * - events: a long table user,item[,time]; each user's items sorted by time (file order when no
 *   time column, ties keep file order).
 * Items become class indices 0..n-1 in first-seen order; a network reads them as token ids
 * index + 1 (0 is padding).
 * @example
 *   const h = historiesFromTable(await readTable('data/supermarket.arff'), { seed: 42 });
 *   const split = leaveLastOut(h.histories);
 * @module
 */
import { isDict, type Column, type Table } from '../data/table.js';
import { LeptonError, listNames } from '../errors.js';
import { rng, shuffle } from '../prep/split.js';

export interface HistoryOptions {
  /** Long tables: the user, item and (optional) time columns. */
  user?: string;
  item?: string;
  time?: string;
  /** Baskets: 'random' (seeded shuffle per basket, the default) or 'column' (the table's column order). */
  order?: 'random' | 'column';
  seed?: number;
}

export interface Histories {
  /** Item names; item i is class i and token id i + 1. */
  items: string[];
  /** One per user (basket), oldest item first. */
  histories: number[][];
  users: string[];
  kind: 'baskets' | 'events';
  /** How the items of a history were ordered, for the report and the manifest. */
  order: 'random' | 'column' | 'time' | 'file';
  /** Basket tables: columns that are not binary item columns, with the reason. */
  skipped: { column: string; reason: string }[];
}

const ABSENT = new Set(['f', 'false', 'no', 'n', '0', 'none']);
const HINT = 'give a basket table (one row per basket, one column per item: t/?, true/false or 1/0) or a long table with --user COL --item COL [--time COL]';

/** The per-row "bought" flags of a binary item column, or why the column is not one. */
function presence(c: Column): Uint8Array | string {
  const out = new Uint8Array(isDict(c) ? c.codes.length : c.values.length);
  if (isDict(c)) {
    if (c.type === 'text') return 'a text column';
    const present = c.dictionary.map((v) => !ABSENT.has(v.trim().toLowerCase()));
    if (c.dictionary.length > 2 || present.filter(Boolean).length !== 1) return `not binary (values ${listNames(c.dictionary.slice(0, 4))})`;
    c.codes.forEach((code, i) => (out[i] = code >= 0 && present[code] ? 1 : 0));
    return out;
  }
  if (c.type === 'date') return 'a date column';
  for (let i = 0; i < c.values.length; i++) {
    const v = c.values[i]!;
    if (Number.isNaN(v) || v === 0) continue;
    if (v !== 1) return `not binary (holds ${v})`;
    out[i] = 1;
  }
  return out;
}

/** Histories from a basket table (binary item columns) or, with `user` and `item`, a long table. */
export function historiesFromTable(table: Table, o: HistoryOptions = {}): Histories {
  if (o.user !== undefined || o.item !== undefined || o.time !== undefined) return fromEvents(table, o);
  const items: string[] = [];
  const flags: Uint8Array[] = [];
  const skipped: Histories['skipped'] = [];
  for (const c of table.columns) {
    const p = presence(c);
    if (typeof p === 'string') skipped.push({ column: c.name, reason: p });
    else {
      items.push(c.name);
      flags.push(p);
    }
  }
  // A basket table is mostly item columns; a few binary flags among many other columns (credit-g's
  // foreign_worker) make a feature table, not baskets.
  if (items.length < 2 || items.length < skipped.length) {
    const some = items.length ? ` (only ${listNames(items, 4)} look${items.length === 1 ? 's' : ''} binary, beside ${skipped.length} other columns)` : '';
    throw new LeptonError('E_COLUMN', `${table.source ?? 'the table'} is not a basket table: ${items.length} of its ${table.columns.length} columns are binary item columns${some}, and no --user/--item columns were given`, HINT);
  }
  const order = o.order ?? 'random';
  const rand = rng(o.seed ?? 42);
  const histories: number[][] = [];
  const users: string[] = [];
  for (let r = 0; r < table.numRows; r++) {
    const h: number[] = [];
    flags.forEach((f, i) => f[r] && h.push(i));
    if (!h.length) continue;
    if (order === 'random') shuffle(h, rand);
    histories.push(h);
    users.push(`basket ${r + 1}`);
  }
  if (!histories.length) throw new LeptonError('E_COLUMN', `no basket in ${table.source ?? 'the table'} holds any item`, HINT);
  return { items, histories, users, kind: 'baskets', order, skipped };
}

function fromEvents(table: Table, o: HistoryOptions): Histories {
  if (o.user === undefined || o.item === undefined) {
    throw new LeptonError('E_OPTION', `a long table needs both --user and --item (got only --${o.user === undefined ? 'item' : 'user'}${o.time !== undefined ? ' and --time' : ''})`, `e.g. --user customer_id --item product --time ts; the columns are ${listNames(table.columnNames)}`);
  }
  const key = (c: Column, r: number): string | null => {
    if (isDict(c)) return c.codes[r]! < 0 ? null : c.dictionary[c.codes[r]!]!;
    return Number.isNaN(c.values[r]!) ? null : String(c.values[r]!);
  };
  const user = table.column(o.user);
  const item = table.column(o.item);
  const time = o.time === undefined ? undefined : table.column(o.time);
  if (time && isDict(time)) throw new LeptonError('E_COLUMN', `--time column '${o.time}' holds text, not numbers or dates`, 'give a numeric or date column for --time (or none: file order)');
  const itemIndex = new Map<string, number>();
  const byUser = new Map<string, { item: number; t: number; row: number }[]>();
  let missing = 0;
  for (let r = 0; r < table.numRows; r++) {
    const u = key(user, r);
    const it = key(item, r);
    if (u === null || it === null) {
      missing++;
      continue;
    }
    let idx = itemIndex.get(it);
    if (idx === undefined) itemIndex.set(it, (idx = itemIndex.size));
    let list = byUser.get(u);
    if (!list) byUser.set(u, (list = []));
    list.push({ item: idx, t: time ? (time as { values: Float64Array }).values[r]! : r, row: r });
  }
  if (itemIndex.size < 2) throw new LeptonError('E_COLUMN', `column '${o.item}' holds ${itemIndex.size} distinct item${itemIndex.size === 1 ? '' : 's'}${missing ? ` (${missing} rows miss the user or item)` : ''}`, 'a recommender needs at least two items; check --item');
  const users = [...byUser.keys()];
  const histories = users.map((u) =>
    byUser
      .get(u)!
      // Missing times sort last; equal times keep file order.
      .sort((a, b) => (Number.isNaN(a.t) ? Infinity : a.t) - (Number.isNaN(b.t) ? Infinity : b.t) || a.row - b.row)
      .map((e) => e.item),
  );
  return { items: [...itemIndex.keys()], histories, users, kind: 'events', order: time ? 'time' : 'file', skipped: [] };
}

/** One evaluation case: the items before, and the item to predict. */
export interface Case {
  history: number[];
  target: number;
}

export interface LeaveLastOut {
  /** Training sequences: every user's items but the last two (users with fewer than 3 items: all of them). */
  train: number[][];
  /** The second-to-last item from the ones before it. */
  val: Case[];
  /** The last item from all the ones before it. */
  test: Case[];
}

/**
 * The usual leave-last-out protocol (as in SASRec): per user with at least 3 items, the last item
 * is the test case, the one before it the validation case, the rest trains. Shorter histories
 * only train.
 */
export function leaveLastOut(histories: readonly number[][]): LeaveLastOut {
  const out: LeaveLastOut = { train: [], val: [], test: [] };
  for (const h of histories) {
    if (h.length < 3) {
      out.train.push([...h]);
      continue;
    }
    const n = h.length;
    out.train.push(h.slice(0, n - 2));
    out.val.push({ history: h.slice(0, n - 2), target: h[n - 2]! });
    out.test.push({ history: h.slice(0, n - 1), target: h[n - 1]! });
  }
  return out;
}

/** Every prefix of every sequence → its next item (the training examples of a next-item model). */
export function nextItemCases(sequences: readonly number[][]): Case[] {
  const out: Case[] = [];
  for (const s of sequences) for (let t = 1; t < s.length; t++) out.push({ history: s.slice(0, t), target: s[t]! });
  return out;
}

/** n × seqLen token ids (item + 1, right-padded with 0), keeping the `seqLen` most recent items. */
export function encodeHistories(histories: readonly (readonly number[])[], seqLen: number): Float32Array {
  const x = new Float32Array(histories.length * seqLen);
  histories.forEach((h, r) => {
    const recent = h.length > seqLen ? h.slice(h.length - seqLen) : h;
    recent.forEach((item, t) => (x[r * seqLen + t] = item + 1));
  });
  return x;
}

/** The items of each row of n × seqLen token ids (inverse of encodeHistories; pads dropped). */
export function decodeHistories(x: Float32Array, seqLen: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r * seqLen < x.length; r++) {
    const h: number[] = [];
    for (let t = 0; t < seqLen; t++) {
      const id = x[r * seqLen + t]!;
      if (id > 0) h.push(id - 1);
    }
    out.push(h);
  }
  return out;
}

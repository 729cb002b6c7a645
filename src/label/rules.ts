/**
 * Labelling functions: rules that write a label where a condition holds, so a few lines of
 * domain knowledge label many rows at once. A config (YAML or JSON) names the label column,
 * the mode and the rules:
 *
 *   column: label          # the label column to fill (or create)
 *   mode: fill             # fill: only rows where it is missing; overwrite: every row a rule matches
 *   rules:
 *     - name: big_foreign
 *       when: amount > 10000 and country != home_country
 *       then: review
 *     - when: purpose in ("radio/tv", "education") and age < 25
 *       then: risky
 *   default: null          # label for rows no rule matches (null: leave them as they are)
 *
 * Conditions are a small language, parsed here (no eval): columns (bare names, or `back
 * quoted` for names with spaces or symbols), numbers, "strings" or 'strings', true/false,
 * = == != < <= > >=, `in (…)`, `not in (…)`, `is missing`, `is not missing`, `contains "…"`,
 * and, or, not and parentheses; `not` binds tighter than `and`, which binds tighter than `or`.
 * A comparison with a missing value is false (so is `!=` and `not in`); `is missing` tests for it.
 *
 * Conflicts: the first rule (in file order) that matches a row gives its label; rows where
 * matching rules give different labels are counted and listed as conflicts.
 * @module
 */
import { z } from 'zod';
import { isDict, type Column, type Table } from '../data/table.js';
import { LeptonError, listNames } from '../errors.js';
import { labelAt, withLabels, type LabelValue } from './labels.js';

// ---------------------------------------------------------------- config

const Label = z.union([z.string().min(1), z.number(), z.boolean()]);

export const LabelRulesConfigZ = z.strictObject({
  column: z.string().min(1),
  mode: z.enum(['fill', 'overwrite']).default('fill'),
  rules: z
    .array(
      z.strictObject({
        name: z.string().min(1).optional(),
        when: z.string().min(1),
        then: Label,
      }),
    )
    .min(1),
  default: Label.nullable().optional(),
});
export type LabelRulesConfig = z.output<typeof LabelRulesConfigZ>;

/** A checked config, or an error naming `source`, the rule and the key. */
export function parseRulesConfig(input: unknown, source: string): LabelRulesConfig {
  const r = LabelRulesConfigZ.safeParse(input ?? {});
  if (!r.success) {
    // A misspelt key explains a missing one ("than" for "then"): report it first.
    const i = r.error.issues.find((x) => x.code === 'unrecognized_keys') ?? r.error.issues[0]!;
    const [head, index, ...rest] = i.path;
    const where =
      head === 'rules' && typeof index === 'number'
        ? `${ruleLabel((input as { rules?: { name?: unknown }[] }).rules?.[index]?.name, index)}${rest.length ? `: ${rest.join('.')}` : ''}`
        : i.path.join('.') || 'config';
    const value = i.path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), input);
    const message = value === undefined && i.code !== 'unrecognized_keys' ? 'missing (required)' : i.message;
    throw new LeptonError('E_OPTION', `${source}: ${where}: ${message}`, 'see `lepton label apply --help` for the keys: column, mode, rules (name, when, then), default');
  }
  const names = new Set<string>();
  for (const rule of r.data.rules) {
    if (rule.name === undefined) continue;
    if (names.has(rule.name)) throw new LeptonError('E_OPTION', `${source}: two rules are named '${rule.name}'`, 'give each rule its own name');
    names.add(rule.name);
  }
  return r.data;
}

/** How messages name a rule: its name, else its place in the file (1-based). */
function ruleLabel(name: unknown, index: number): string {
  return typeof name === 'string' && name ? `rule '${name}'` : `rule ${index + 1}`;
}

// ---------------------------------------------------------------- tokens

type TokKind = 'ident' | 'number' | 'string' | 'op' | 'kw' | '(' | ')' | ',' | 'end';
interface Tok {
  kind: TokKind;
  /** The text: an identifier's name (unquoted), a string's value, an operator, a keyword in lower case. */
  v: string;
  /** 1-based character position in the condition. */
  pos: number;
  num?: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'missing', 'contains', 'true', 'false']);
const OPS = ['==', '!=', '<=', '>=', '=', '<', '>'];
const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{N}_.]/u;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

/** Errors from the parser and compiler: the rule, what went wrong, where, and the text with a caret. */
class ConditionError {
  constructor(
    readonly message: string,
    readonly pos: number,
    readonly hint?: string,
    /** Said after the position: "… at position 3 (did you mean …); the columns are …". */
    readonly detail = '',
  ) {}
}

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const pos = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      toks.push({ kind: c, v: c, pos });
      i++;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) {
      toks.push({ kind: 'op', v: op === '==' ? '=' : op, pos });
      i += op.length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        s += text[j];
        j++;
      }
      if (j >= text.length) throw new ConditionError(c === '`' ? `column name opened with \` is never closed` : `string opened with ${c} is never closed`, pos, `close it with ${c}`);
      toks.push({ kind: c === '`' ? 'ident' : 'string', v: s, pos });
      i = j + 1;
      continue;
    }
    const num = NUMBER.exec(text.slice(i));
    if (num && (c !== '-' || /[\d.]/.test(text[i + 1] ?? ''))) {
      toks.push({ kind: 'number', v: num[0], pos, num: Number(num[0]) });
      i += num[0].length;
      if (i < text.length && IDENT_PART.test(text[i]!)) throw new ConditionError(`'${num[0]}${text[i]}' is neither a number nor a column name`, pos, 'put a column name that starts with a digit in `back quotes`');
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j]!)) j++;
      const word = text.slice(i, j);
      const lower = word.toLowerCase();
      toks.push(KEYWORDS.has(lower) ? { kind: 'kw', v: lower, pos } : { kind: 'ident', v: word, pos });
      i = j;
      continue;
    }
    throw new ConditionError(
      c === '!' ? `unexpected '!'` : `unexpected character '${c}'`,
      pos,
      c === '!' ? 'write != for "not equal" and not for negation' : 'put column names with spaces or symbols in `back quotes` and text values in "quotes"',
    );
  }
  toks.push({ kind: 'end', v: '', pos: text.length + 1 });
  return toks;
}

// ---------------------------------------------------------------- syntax tree

export type Operand =
  | { kind: 'column'; name: string; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'bool'; value: boolean; pos: number };
type Literal = Exclude<Operand, { kind: 'column' }>;
type Col = Extract<Operand, { kind: 'column' }>;

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; arg: Condition }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand; pos: number }
  | { kind: 'in'; negate: boolean; column: Col; values: Literal[]; pos: number }
  | { kind: 'missing'; negate: boolean; column: Col; pos: number }
  | { kind: 'contains'; column: Col; value: string; pos: number }
  | { kind: 'truthy'; column: Col };

function describe(t: Tok): string {
  if (t.kind === 'end') return 'the end';
  if (t.kind === 'string') return `"${t.v}"`;
  return `'${t.v}'`;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  /** The current token (a method, so TypeScript does not keep a narrowed type across next()). */
  private cur(): Tok {
    return this.toks[this.i]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }
  private isKw(v: string, at = 0): boolean {
    const t = this.toks[this.i + at];
    return t?.kind === 'kw' && t.v === v;
  }

  parse(): Condition {
    if (this.cur().kind === 'end') throw new ConditionError('the condition is empty', 1);
    const c = this.or();
    if (this.cur().kind !== 'end') {
      throw new ConditionError(this.cur().kind === ')' ? `unexpected ')' with no '(' before it` : `unexpected ${describe(this.cur())}; expected 'and', 'or' or the end`, this.cur().pos);
    }
    return c;
  }

  private or(): Condition {
    let left = this.and();
    while (this.isKw('or')) {
      this.next();
      left = { kind: 'or', left, right: this.and('or') };
    }
    return left;
  }

  private and(after?: string): Condition {
    let left = this.not(after);
    while (this.isKw('and')) {
      this.next();
      left = { kind: 'and', left, right: this.not('and') };
    }
    return left;
  }

  private not(after?: string): Condition {
    if (this.isKw('not')) {
      this.next();
      return { kind: 'not', arg: this.not('not') };
    }
    return this.primary(after);
  }

  private primary(after?: string): Condition {
    const t = this.cur();
    if (t.kind === '(') {
      this.next();
      const inner = this.or();
      if (this.cur().kind !== ')') throw new ConditionError(`expected ')', found ${describe(this.cur())}`, this.cur().pos, undefined, ` to close the '(' at position ${t.pos}`);
      this.next();
      return inner;
    }
    return this.comparison(after);
  }

  private operand(): Operand | undefined {
    const t = this.cur();
    let o: Operand | undefined;
    if (t.kind === 'ident') o = { kind: 'column', name: t.v, pos: t.pos };
    else if (t.kind === 'number') o = { kind: 'number', value: t.num!, text: t.v, pos: t.pos };
    else if (t.kind === 'string') o = { kind: 'string', value: t.v, pos: t.pos };
    else if (t.kind === 'kw' && (t.v === 'true' || t.v === 'false')) o = { kind: 'bool', value: t.v === 'true', pos: t.pos };
    if (o) this.next();
    return o;
  }

  private comparison(after?: string): Condition {
    const start = this.cur();
    const left = this.operand();
    if (!left) {
      throw new ConditionError(
        start.kind === 'end' ? `expected a condition${after ? ` after '${after}'` : ''}, found the end` : `expected a column or value${after ? ` after '${after}'` : ''}, found ${describe(start)}`,
        start.pos,
      );
    }
    const t = this.cur();
    if (t.kind === 'op') {
      this.next();
      const right = this.operand();
      if (!right) throw new ConditionError(`expected a value after '${t.v}', found ${describe(this.cur())}`, this.cur().pos);
      if (left.kind !== 'column' && right.kind !== 'column') throw new ConditionError(`'${t.v}' compares two values; one side must be a column`, left.pos);
      return { kind: 'compare', op: t.v as CompareOp, left, right, pos: t.pos };
    }
    const negated = this.isKw('not') && this.isKw('in', 1);
    if (this.isKw('in') || negated) {
      const col = this.needColumn(left, negated ? 'not in' : 'in');
      if (negated) this.next();
      this.next();
      return { kind: 'in', negate: negated, column: col, values: this.list(negated ? 'not in' : 'in'), pos: t.pos };
    }
    if (this.isKw('is')) {
      const col = this.needColumn(left, 'is missing');
      this.next();
      const negate = this.isKw('not');
      if (negate) this.next();
      if (!this.isKw('missing')) throw new ConditionError(`expected 'missing' after '${negate ? 'is not' : 'is'}', found ${describe(this.cur())}`, this.cur().pos);
      this.next();
      return { kind: 'missing', negate, column: col, pos: t.pos };
    }
    if (this.isKw('contains')) {
      const col = this.needColumn(left, 'contains');
      this.next();
      const v = this.cur();
      if (v.kind !== 'string') throw new ConditionError(`expected a quoted string after 'contains', found ${describe(v)}`, v.pos);
      this.next();
      return { kind: 'contains', column: col, value: v.v, pos: t.pos };
    }
    const ends = t.kind === 'end' || t.kind === ')' || (t.kind === 'kw' && (t.v === 'and' || t.v === 'or'));
    if (left.kind === 'column' && ends) return { kind: 'truthy', column: left };
    throw new ConditionError(
      `expected a comparison after ${left.kind === 'column' ? `'${left.name}'` : left.kind === 'string' ? `"${left.value}"` : `'${left.kind === 'number' ? left.text : left.value}'`}, found ${describe(t)}`,
      t.pos,
      'use =, !=, <, <=, >, >=, in (…), not in (…), is missing, is not missing or contains "…"',
    );
  }

  private needColumn(o: Operand, what: string): Col {
    if (o.kind !== 'column') throw new ConditionError(`the left side of '${what}' must be a column`, o.pos);
    return o;
  }

  private list(what: string): Literal[] {
    if (this.cur().kind !== '(') throw new ConditionError(`expected '(' after '${what}', found ${describe(this.cur())}`, this.cur().pos, `write ${what} ("a", "b")`);
    this.next();
    const values: Literal[] = [];
    for (;;) {
      const v = this.operand();
      if (!v) throw new ConditionError(`expected a value in the list after '${what}', found ${describe(this.cur())}`, this.cur().pos);
      if (v.kind === 'column') throw new ConditionError(`the list after '${what}' holds values, not columns: '${v.name}'`, v.pos, 'quote text values: ("a", "b")');
      values.push(v);
      if (this.cur().kind === ',') {
        this.next();
        continue;
      }
      if (this.cur().kind === ')') {
        this.next();
        return values;
      }
      throw new ConditionError(`expected ',' or ')' in the list after '${what}', found ${describe(this.cur())}`, this.cur().pos);
    }
  }
}

/** The error a user sees: rule, message, position, and the condition with a caret under it. */
function userError(e: ConditionError, rule: string, text: string): LeptonError {
  const caret = `\n    ${text}\n    ${' '.repeat(Math.max(0, e.pos - 1))}^`;
  // "expected a value after '>', found the end" reads better as "… after '>' at position 5 (found the end)".
  const found = /^(.*), (found .*)$/.exec(e.message);
  const message = found ? `${found[1]} at position ${e.pos} (${found[2]})` : `${e.message} at position ${e.pos}`;
  return new LeptonError('E_OPTION', `${rule}: ${message}${e.detail}${caret}`, e.hint ?? 'see `lepton label apply --help` for the condition language');
}

/** Parses a condition (`rule` names it in errors). */
export function parseCondition(text: string, rule = 'condition'): Condition {
  try {
    return new Parser(tokenize(text)).parse();
  } catch (e) {
    if (e instanceof ConditionError) throw userError(e, rule, text);
    throw e;
  }
}

/** The condition fully parenthesised, to show how it was read (precedence). */
export function formatCondition(c: Condition): string {
  const op = (o: Operand): string => (o.kind === 'column' ? (/^[\p{L}_][\p{L}\p{N}_.]*$/u.test(o.name) && !KEYWORDS.has(o.name.toLowerCase()) ? o.name : `\`${o.name}\``) : o.kind === 'string' ? JSON.stringify(o.value) : o.kind === 'number' ? o.text : String(o.value));
  switch (c.kind) {
    case 'and':
    case 'or':
      return `(${formatCondition(c.left)} ${c.kind} ${formatCondition(c.right)})`;
    case 'not':
      return `(not ${formatCondition(c.arg)})`;
    case 'compare':
      return `${op(c.left)} ${c.op} ${op(c.right)}`;
    case 'in':
      return `${c.column.name} ${c.negate ? 'not in' : 'in'} (${c.values.map(op).join(', ')})`;
    case 'missing':
      return `${c.column.name} is ${c.negate ? 'not ' : ''}missing`;
    case 'contains':
      return `${c.column.name} contains ${JSON.stringify(c.value)}`;
    case 'truthy':
      return c.column.name;
  }
}

// ---------------------------------------------------------------- compiling to a predicate

export type RowPredicate = (row: number) => boolean;

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

const ORDER: Record<CompareOp, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};
const FLIP: Record<CompareOp, CompareOp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

class Compiler {
  readonly warnings: string[] = [];
  constructor(
    private readonly table: Table,
    private readonly rule: string,
  ) {}

  column(o: Col): Column {
    if (this.table.has(o.name)) return this.table.column(o.name);
    const close = this.table.columnNames.filter((n) => distance(n, o.name) <= Math.max(1, Math.floor(o.name.length / 4)));
    throw new ConditionError(
      `unknown column '${o.name}'`,
      o.pos,
      'column names are case-sensitive; put names with spaces or symbols in `back quotes`',
      `${close.length ? ` (did you mean '${close[0]}'?)` : ''}; the columns are ${listNames(this.table.columnNames, 40)}`,
    );
  }

  compile(c: Condition): RowPredicate {
    switch (c.kind) {
      case 'and': {
        const a = this.compile(c.left);
        const b = this.compile(c.right);
        return (r) => a(r) && b(r);
      }
      case 'or': {
        const a = this.compile(c.left);
        const b = this.compile(c.right);
        return (r) => a(r) || b(r);
      }
      case 'not': {
        const a = this.compile(c.arg);
        return (r) => !a(r);
      }
      case 'missing': {
        const col = this.column(c.column);
        const missing: RowPredicate = isDict(col) ? (r) => col.codes[r]! < 0 : (r) => Number.isNaN(col.values[r]!);
        return c.negate ? (r) => !missing(r) : missing;
      }
      case 'truthy': {
        const col = this.column(c.column);
        if (col.type !== 'boolean') throw new ConditionError(`column '${col.name}' is ${col.type}, not true/false; it needs a comparison`, c.column.pos, `e.g. ${col.name} ${isDict(col) ? '= "…"' : '> 0'}`);
        return (r) => col.values[r] === 1;
      }
      case 'contains': {
        const col = this.column(c.column);
        if (!isDict(col)) throw new ConditionError(`'contains' needs a text or categorical column; '${col.name}' is ${col.type}`, c.pos);
        const hit = new Uint8Array(col.dictionary.map((d) => (d.includes(c.value) ? 1 : 0)));
        return (r) => col.codes[r]! >= 0 && hit[col.codes[r]!] === 1;
      }
      case 'in': {
        const col = this.column(c.column);
        if (isDict(col)) {
          const wanted = new Set(c.values.map((v) => this.text(col, v)));
          this.warnUnseen(col, [...wanted]);
          const hit = new Uint8Array(col.dictionary.map((d) => (wanted.has(d) ? 1 : 0)));
          return c.negate ? (r) => col.codes[r]! >= 0 && hit[col.codes[r]!] === 0 : (r) => col.codes[r]! >= 0 && hit[col.codes[r]!] === 1;
        }
        const wanted = new Set(c.values.map((v) => this.value(col, v)));
        return c.negate ? (r) => !Number.isNaN(col.values[r]!) && !wanted.has(col.values[r]!) : (r) => wanted.has(col.values[r]!);
      }
      case 'compare':
        return this.compare(c);
    }
  }

  private compare(c: Extract<Condition, { kind: 'compare' }>): RowPredicate {
    let { left, right, op } = c;
    if (left.kind !== 'column') [left, right, op] = [right, left, FLIP[op]];
    const a = this.column(left as Col);
    if (right.kind === 'column') {
      const b = this.column(right);
      if (isDict(a) !== isDict(b)) throw new ConditionError(`cannot compare ${a.type} column '${a.name}' with ${b.type} column '${b.name}'`, c.pos);
      if (isDict(a) && isDict(b)) {
        if (op !== '=' && op !== '!=') throw new ConditionError(`'${op}' needs numbers; '${a.name}' and '${b.name}' are ${a.type}`, c.pos, 'compare categories with =, != or in (…)');
        const eq = op === '=';
        return (r) => {
          const x = a.codes[r]!;
          const y = b.codes[r]!;
          return x >= 0 && y >= 0 && (a.dictionary[x] === b.dictionary[y]) === eq;
        };
      }
      const f = ORDER[op];
      const av = (a as Extract<Column, { values: Float64Array }>).values;
      const bv = (b as Extract<Column, { values: Float64Array }>).values;
      return (r) => !Number.isNaN(av[r]!) && !Number.isNaN(bv[r]!) && f(av[r]!, bv[r]!);
    }
    if (isDict(a)) {
      if (op !== '=' && op !== '!=') throw new ConditionError(`'${op}' needs numbers; '${a.name}' is ${a.type}`, c.pos, 'compare categories with =, != or in (…)');
      const s = this.text(a, right);
      this.warnUnseen(a, [s]);
      const code = a.dictionary.indexOf(s);
      return op === '=' ? (r) => code >= 0 && a.codes[r] === code : (r) => a.codes[r]! >= 0 && a.codes[r] !== code;
    }
    const v = this.value(a, right);
    const f = ORDER[op];
    return (r) => !Number.isNaN(a.values[r]!) && f(a.values[r]!, v);
  }

  /** A literal compared with a categorical/text column: it must be a string. */
  private text(col: Column, v: Literal): string {
    if (v.kind === 'string') return v.value;
    const shown = v.kind === 'number' ? v.text : String(v.value);
    throw new ConditionError(`column '${col.name}' is ${col.type}; it cannot be compared with the ${v.kind === 'number' ? 'number' : 'value'} ${shown}`, v.pos, `quote the value: ${col.name} = "${shown}"`);
  }

  /** A literal compared with a numeric, boolean or date column, as the number the column holds. */
  private value(col: Column, v: Literal): number {
    const bad = (why: string, hint: string): never => {
      throw new ConditionError(`column '${col.name}' is ${col.type}; it cannot be compared with ${why}`, v.pos, hint);
    };
    if (col.type === 'numeric') {
      if (v.kind === 'number') return v.value;
      return bad(v.kind === 'string' ? `the string "${v.value}"` : `${v.value}`, `compare it with a number, e.g. ${col.name} > 10`);
    }
    if (col.type === 'boolean') {
      if (v.kind === 'bool') return v.value ? 1 : 0;
      if (v.kind === 'number' && (v.value === 0 || v.value === 1)) return v.value;
      return bad(v.kind === 'string' ? `the string "${v.value}"` : v.kind === 'number' ? `the number ${v.text}` : '', `compare it with true or false, e.g. ${col.name} = true`);
    }
    if (v.kind === 'string') {
      const t = Date.parse(v.value);
      if (Number.isFinite(t)) return t;
      return bad(`"${v.value}", which is not a date`, `write dates as "YYYY-MM-DD", e.g. ${col.name} >= "2024-01-01"`);
    }
    return bad(v.kind === 'number' ? `the number ${v.text}` : `${v.value}`, `compare it with a quoted date, e.g. ${col.name} >= "2024-01-01"`);
  }

  private warnUnseen(col: Extract<Column, { dictionary: string[] }>, values: string[]): void {
    for (const s of values) {
      if (col.dictionary.includes(s)) continue;
      const close = col.dictionary.find((d) => d.toLowerCase() === s.toLowerCase()) ?? col.dictionary.find((d) => distance(d, s) <= 2);
      this.warnings.push(`${this.rule}: column '${col.name}' never holds "${s}"${close ? ` (did you mean "${close}"?)` : `; its values are ${listNames(col.dictionary)}`}`);
    }
  }
}

/** Compiles a condition to a predicate over `table`'s rows, checking columns and types. */
export function compileCondition(text: string, table: Table, rule = 'condition'): { predicate: RowPredicate; warnings: string[] } {
  const cond = parseCondition(text, rule);
  const c = new Compiler(table, rule);
  try {
    return { predicate: c.compile(cond), warnings: c.warnings };
  } catch (e) {
    if (e instanceof ConditionError) throw userError(e, rule, text);
    throw e;
  }
}

// ---------------------------------------------------------------- applying

export interface RuleStats {
  name: string;
  label: string;
  /** Eligible rows whose condition holds. */
  matches: number;
  /** matches / eligible rows. */
  share: number;
  /** Rows this rule labelled (it was the first to match). */
  won: number;
  /** Matched rows another rule matches too. */
  overlaps: number;
  /** Matched rows another rule matches with a different label. */
  conflicts: number;
  /** On rows that already had a label: how often the rule's label equals it (null: none matched). */
  agreement: { rows: number; agree: number; share: number } | null;
}

export interface ConflictRow {
  /** 1-based row number. */
  row: number;
  matches: { rule: string; label: string }[];
  chosen: string;
}

export interface LabelStats {
  column: string;
  mode: 'fill' | 'overwrite';
  rows: number;
  /** Rows the rules may label: with the column missing (fill) or all (overwrite). */
  eligible: number;
  rules: RuleStats[];
  /** Eligible rows at least one rule matches, and their share. */
  covered: number;
  coverage: number;
  /** Eligible rows more than one rule matches / where matching rules disagree. */
  overlaps: number;
  conflicts: number;
  /** The first conflicting rows (all are counted in `conflicts`). */
  conflictRows: ConflictRow[];
  labelledByRules: number;
  labelledByDefault: number;
  labelled: number;
  /** Eligible rows still without a label. */
  unlabelled: number;
  /** Labels this run wrote, by label. */
  distribution: Record<string, number>;
  warnings: string[];
}

const MAX_CONFLICT_ROWS = 100;

/**
 * Applies the rules to `table`: the first matching rule labels a row (conflicts are counted,
 * not resolved otherwise); `default` labels the eligible rows no rule matches.
 */
export function applyRules(table: Table, config: LabelRulesConfig): { table: Table; stats: LabelStats } {
  const n = table.numRows;
  const rules = config.rules.map((r, i) => {
    const name = r.name ?? `rule ${i + 1}`;
    const { predicate, warnings } = compileCondition(r.when, table, ruleLabel(r.name, i));
    return { name, label: String(r.then), then: r.then as LabelValue, predicate, warnings };
  });
  const hasColumn = table.has(config.column);
  const existing = (r: number) => (hasColumn ? labelAt(table, config.column, r) : null);
  const stats: RuleStats[] = rules.map((r) => ({ name: r.name, label: r.label, matches: 0, share: 0, won: 0, overlaps: 0, conflicts: 0, agreement: null }));
  const agree = rules.map(() => ({ rows: 0, agree: 0 }));
  const out: (LabelValue | null | undefined)[] = new Array(n);
  const distribution: Record<string, number> = {};
  const conflictRows: ConflictRow[] = [];
  let eligible = 0;
  let covered = 0;
  let overlaps = 0;
  let conflicts = 0;
  let byRules = 0;
  let byDefault = 0;
  let unlabelled = 0;
  const hits: number[] = [];
  for (let r = 0; r < n; r++) {
    hits.length = 0;
    for (let j = 0; j < rules.length; j++) if (rules[j]!.predicate(r)) hits.push(j);
    const old = existing(r);
    if (old !== null) {
      for (const j of hits) {
        agree[j]!.rows++;
        if (rules[j]!.label === old) agree[j]!.agree++;
      }
    }
    if (config.mode === 'fill' && old !== null) continue;
    eligible++;
    for (const j of hits) stats[j]!.matches++;
    if (hits.length === 0) {
      if (config.default !== undefined && config.default !== null) {
        out[r] = config.default;
        byDefault++;
        const l = String(config.default);
        distribution[l] = (distribution[l] ?? 0) + 1;
      } else if (old === null) unlabelled++;
      continue;
    }
    covered++;
    const first = rules[hits[0]!]!;
    out[r] = first.then;
    byRules++;
    stats[hits[0]!]!.won++;
    distribution[first.label] = (distribution[first.label] ?? 0) + 1;
    if (hits.length > 1) {
      overlaps++;
      for (const j of hits) stats[j]!.overlaps++;
      const labels = new Set(hits.map((j) => rules[j]!.label));
      if (labels.size > 1) {
        conflicts++;
        for (const j of hits) if (hits.some((k) => rules[k]!.label !== rules[j]!.label)) stats[j]!.conflicts++;
        if (conflictRows.length < MAX_CONFLICT_ROWS) conflictRows.push({ row: r + 1, matches: hits.map((j) => ({ rule: rules[j]!.name, label: rules[j]!.label })), chosen: first.label });
      }
    }
  }
  stats.forEach((s, j) => {
    s.share = eligible ? s.matches / eligible : 0;
    const a = agree[j]!;
    s.agreement = a.rows ? { ...a, share: a.agree / a.rows } : null;
  });
  const labelled = byRules + byDefault;
  const next = labelled > 0 ? withLabels(table, config.column, out, (r) => `${table.where(r)}`) : table;
  return {
    table: next,
    stats: {
      column: config.column,
      mode: config.mode,
      rows: n,
      eligible,
      rules: stats,
      covered,
      coverage: eligible ? covered / eligible : 0,
      overlaps,
      conflicts,
      conflictRows,
      labelledByRules: byRules,
      labelledByDefault: byDefault,
      labelled,
      unlabelled,
      distribution,
      warnings: rules.flatMap((r) => r.warnings),
    },
  };
}

/** The statistics as a report for people. */
export function formatLabelStats(s: LabelStats): string {
  const rows_ = (k: number) => `${k} row${k === 1 ? '' : 's'}`;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = [['rule', 'label', 'matches', 'share', 'labelled', 'overlaps', 'conflicts', 'agrees']];
  for (const r of s.rules) rows.push([r.name, r.label, String(r.matches), pct(r.share), String(r.won), String(r.overlaps), String(r.conflicts), r.agreement ? `${pct(r.agreement.share)} of ${r.agreement.rows}` : '']);
  const table = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(table[c]!) : cell.padStart(table[c]!))).join('  ').trimEnd());
  const out = [
    `${s.eligible} of ${s.rows} rows eligible (${s.mode === 'fill' ? `'${s.column}' missing` : 'overwrite: every row'})`,
    ...lines,
    '',
    `coverage: ${s.covered} of ${s.eligible} eligible rows (${pct(s.coverage)}) matched by a rule${s.labelledByDefault ? `; ${s.labelledByDefault} more got the default` : ''}`,
    `labelled: ${s.labelled}; left unlabelled: ${s.unlabelled}`,
    `overlaps: ${rows_(s.overlaps)} matched by more than one rule; conflicts: ${rows_(s.conflicts)} where they disagree (the first rule in the file wins)`,
  ];
  if (s.conflictRows.length) {
    const shown = s.conflictRows.slice(0, 10).map((c) => `row ${c.row} (${c.matches.map((m) => `${m.rule}→${m.label}`).join(', ')})`);
    out.push(`  conflicting rows: ${shown.join('; ')}${s.conflicts > shown.length ? ` and ${s.conflicts - shown.length} more` : ''}`);
  }
  const dist = Object.entries(s.distribution).sort((a, b) => b[1] - a[1]);
  out.push(`labels written: ${dist.length ? dist.map(([l, c]) => `${l} ${c}`).join(', ') : 'none'}`);
  for (const w of s.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

import { describe, expect, it } from 'vitest';
import { readRaw, readTable, tableFromRows } from '../../src/data/readers/index.js';
import { applyRules, compileCondition, formatCondition, formatLabelStats, parseCondition, parseRulesConfig } from '../../src/label/rules.js';
import { CREDIT } from '../helpers.js';

const shape = (text: string) => formatCondition(parseCondition(text));
const err = (text: string) => {
  try {
    parseCondition(text, "rule 'r'");
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
  throw new Error(`'${text}' parsed`);
};

const small = () =>
  tableFromRows([
    { amount: 20000, country: 'FR', home: 'DE', purpose: 'radio/tv', age: 22, note: 'urgent: call back', label: null },
    { amount: 500, country: 'DE', home: 'DE', purpose: 'education', age: 30, note: 'fine', label: 'ok' },
    { amount: 15000, country: 'DE', home: 'DE', purpose: 'education', age: 19, note: null, label: null },
    { amount: null, country: 'FR', home: 'DE', purpose: 'car', age: 40, note: 'call me', label: null },
    { amount: 12000, country: null, home: 'DE', purpose: 'radio/tv', age: 24, note: 'later', label: 'ok' },
    { amount: 100, country: 'IT', home: 'IT', purpose: 'car', age: null, note: 'no', label: null },
  ]);

describe('label rules: parsing', () => {
  it('binds not tighter than and, and tighter than or', () => {
    expect(shape('a = 1 or b = 2 and c = 3')).toBe('(a = 1 or (b = 2 and c = 3))');
    expect(shape('a = 1 and b = 2 or c = 3')).toBe('((a = 1 and b = 2) or c = 3)');
    expect(shape('not a = 1 and b = 2')).toBe('((not a = 1) and b = 2)');
    expect(shape('not (a = 1 and b = 2)')).toBe('(not (a = 1 and b = 2))');
    expect(shape('(a = 1 or b = 2) and not not c > 3')).toBe('((a = 1 or b = 2) and (not (not c > 3)))');
    expect(shape('a=1 AND b==2 Or c<=-1.5e3')).toBe('((a = 1 and b = 2) or c <= -1.5e3)');
  });

  it('reads in, not in, is (not) missing, contains, strings, back-quoted names and values on the left', () => {
    expect(shape('purpose in ("radio/tv", \'education\') and age not in (1, 2)')).toBe('(purpose in ("radio/tv", "education") and age not in (1, 2))');
    expect(shape('x is missing or y is not missing')).toBe('(x is missing or y is not missing)');
    expect(shape('`monthly income` > 10 and note contains "a \\"b\\""')).toBe('(`monthly income` > 10 and note contains "a \\"b\\"")');
    expect(shape('10000 < amount')).toBe('10000 < amount');
    expect(shape('flag and amount != other')).toBe('(flag and amount != other)');
  });

  it('names the rule and the position of syntax errors', () => {
    expect(err('amount >')).toBe("rule 'r': expected a value after '>' at position 9 (found the end)");
    expect(err('amount > and x = 1')).toBe("rule 'r': expected a value after '>' at position 10 (found 'and')");
    expect(err('(a = 1 or b = 2')).toBe("rule 'r': expected ')' at position 16 (found the end) to close the '(' at position 1");
    expect(err('a = 1)')).toBe("rule 'r': unexpected ')' with no '(' before it at position 6");
    expect(err('amount 10000')).toBe("rule 'r': expected a comparison after 'amount' at position 8 (found '10000')");
    expect(err('a in "x"')).toBe("rule 'r': expected '(' after 'in' at position 6 (found \"x\")");
    expect(err('a in (b)')).toBe("rule 'r': the list after 'in' holds values, not columns: 'b' at position 7");
    expect(err('a is there')).toBe("rule 'r': expected 'missing' after 'is' at position 6 (found 'there')");
    expect(err('a contains 3')).toBe("rule 'r': expected a quoted string after 'contains' at position 12 (found '3')");
    expect(err('a = "open')).toBe("rule 'r': string opened with \" is never closed at position 5");
    expect(err('a = 1 and')).toBe("rule 'r': expected a condition after 'and' at position 10 (found the end)");
    expect(err('a ! 1')).toBe("rule 'r': unexpected '!' at position 3");
    expect(err('1 = 2')).toBe("rule 'r': '=' compares two values; one side must be a column at position 1");
    expect(err('')).toBe("rule 'r': the condition is empty at position 1");
    // The message shows the condition with a caret under the position.
    expect(() => parseCondition('amount >', "rule 'r'")).toThrow(/\n {4}amount >\n {12}\^/);
  });

  it('checks columns and types against the table, naming the rule', () => {
    const t = small();
    const bad = (when: string) => {
      try {
        compileCondition(when, t, "rule 'big_foreign'");
      } catch (e) {
        return (e as Error).message.split('\n')[0];
      }
      throw new Error(`'${when}' compiled`);
    };
    expect(bad('amout > 10000')).toBe("rule 'big_foreign': unknown column 'amout' at position 1 (did you mean 'amount'?); the columns are 'amount', 'country', 'home', 'purpose', 'age', 'note', 'label'");
    expect(bad('purpose = 3')).toMatch(/^rule 'big_foreign': column 'purpose' is categorical; it cannot be compared with the number 3 at position 11$/);
    expect(bad('age > "old"')).toMatch(/^rule 'big_foreign': column 'age' is numeric; it cannot be compared with the string "old" at position 7$/);
    expect(bad('purpose in ("car", 2)')).toMatch(/column 'purpose' is categorical; it cannot be compared with the number 2 at position 20/);
    expect(bad('purpose < "x"')).toMatch(/'<' needs numbers; 'purpose' is categorical at position 9/);
    expect(bad('amount = country')).toMatch(/cannot compare numeric column 'amount' with categorical column 'country'/);
    expect(bad('age contains "1"')).toMatch(/'contains' needs a text or categorical column; 'age' is numeric/);
    expect(bad('purpose')).toMatch(/column 'purpose' is categorical, not true\/false; it needs a comparison/);
    expect(compileCondition('purpose = "radio/TV"', t).warnings).toEqual(['condition: column \'purpose\' never holds "radio/TV" (did you mean "radio/tv"?)']);
  });

  it('evaluates with missing values making comparisons false', () => {
    const t = small();
    const rows = (when: string) => {
      const { predicate } = compileCondition(when, t);
      return Array.from({ length: t.numRows }, (_, r) => r).filter(predicate).map((r) => r + 1);
    };
    expect(rows('amount > 10000 and country != home')).toEqual([1]);
    expect(rows('amount > 10000')).toEqual([1, 3, 5]);
    expect(rows('amount <= 10000')).toEqual([2, 6]); // row 4 has no amount
    expect(rows('not amount > 10000')).toEqual([2, 4, 6]); // not negates: a missing amount is "not > 10000"
    expect(rows('country != "DE"')).toEqual([1, 4, 6]); // row 5 has no country
    expect(rows('country not in ("DE", "IT")')).toEqual([1, 4]);
    expect(rows('amount is missing or country is missing')).toEqual([4, 5]);
    expect(rows('age is not missing and age < 25')).toEqual([1, 3, 5]);
    expect(rows('note contains "call"')).toEqual([1, 4]);
    expect(rows('purpose in ("radio/tv", "education") and age < 25')).toEqual([1, 3, 5]);
    expect(rows('amount in (500, 100) or 25 < age')).toEqual([2, 4, 6]);
    expect(rows('(amount > 10000 or purpose = "car") and not country = "FR"')).toEqual([3, 5, 6]);
  });
});

describe('label rules: config and statistics', () => {
  it('validates the config with Zod and names the rule', () => {
    expect(() => parseRulesConfig({ column: 'label', rules: [{ name: 'big', when: 'a > 1', than: 'x' }] }, 'rules.yaml')).toThrow(/^rules.yaml: rule 'big': Unrecognized key: "than"/);
    expect(() => parseRulesConfig({ column: 'label', rules: [{ when: 'a > 1' }] }, 'rules.yaml')).toThrow(/^rules.yaml: rule 1: then: missing \(required\)$/);
    expect(() => parseRulesConfig({ column: 'label', rules: [] }, 'rules.yaml')).toThrow(/^rules.yaml: rules: /);
    expect(() => parseRulesConfig({ rules: [{ when: 'a > 1', then: 'x' }] }, 'rules.yaml')).toThrow(/^rules.yaml: column: missing \(required\)$/);
    expect(() => parseRulesConfig({ column: 'label', mode: 'replace', rules: [{ when: 'a > 1', then: 'x' }] }, 'r.yaml')).toThrow(/^r.yaml: mode: /);
    expect(() => parseRulesConfig({ column: 'l', rules: [{ name: 'a', when: 'x > 1', then: 1 }, { name: 'a', when: 'x > 2', then: 2 }] }, 'r.yaml')).toThrow(/two rules are named 'a'/);
    expect(parseRulesConfig({ column: 'l', rules: [{ when: 'x > 1', then: 'y' }] }, 'r').mode).toBe('fill');
  });

  it('fills missing labels, first rule wins, and counts coverage, overlaps and conflicts', () => {
    const config = parseRulesConfig(
      {
        column: 'label',
        rules: [
          { name: 'big_foreign', when: 'amount > 10000 and country != home', then: 'review' },
          { name: 'young', when: 'purpose in ("radio/tv", "education") and age < 25', then: 'risky' },
          { name: 'big', when: 'amount > 10000', then: 'review' },
        ],
      },
      'rules.yaml',
    );
    const { table, stats } = applyRules(small(), config);
    // Eligible (label missing): rows 1, 3, 4, 6. big_foreign: 1; young: 1, 3; big: 1, 3.
    expect(stats.eligible).toBe(4);
    expect(stats.rules.map((r) => [r.name, r.matches, r.won, r.overlaps, r.conflicts])).toEqual([
      ['big_foreign', 1, 1, 1, 1],
      ['young', 2, 1, 2, 2],
      ['big', 2, 0, 2, 2],
    ]);
    expect(stats.rules[1]!.share).toBe(0.5);
    expect(stats).toMatchObject({ covered: 2, coverage: 0.5, overlaps: 2, conflicts: 2, labelled: 2, unlabelled: 2, distribution: { review: 1, risky: 1 } });
    expect(stats.conflictRows).toEqual([
      { row: 1, matches: [{ rule: 'big_foreign', label: 'review' }, { rule: 'young', label: 'risky' }, { rule: 'big', label: 'review' }], chosen: 'review' },
      { row: 3, matches: [{ rule: 'young', label: 'risky' }, { rule: 'big', label: 'review' }], chosen: 'risky' },
    ]);
    // Row 5 already says 'ok': young and big match it, so their agreement is 0 of 1.
    expect(stats.rules[2]!.agreement).toEqual({ rows: 1, agree: 0, share: 0 });
    expect(Array.from({ length: 6 }, (_, r) => table.cell('label', r))).toEqual(['review', 'ok', 'risky', null, 'ok', null]);
    const text = formatLabelStats(stats);
    expect(text).toMatch(/young\s+risky\s+2\s+50.0%\s+1\s+2\s+2/);
    expect(text).toMatch(/conflicts: 2 rows where they disagree \(the first rule in the file wins\)/);
    expect(text).toMatch(/conflicting rows: row 1 \(big_foreign→review, young→risky, big→review\); row 3/);
  });

  it('overwrites, applies a default, and creates a missing label column', () => {
    const over = applyRules(small(), parseRulesConfig({ column: 'label', mode: 'overwrite', rules: [{ when: 'amount > 10000', then: 'big' }] }, 'r'));
    expect(Array.from({ length: 6 }, (_, r) => over.table.cell('label', r))).toEqual(['big', 'ok', 'big', null, 'big', null]);
    expect(over.stats).toMatchObject({ eligible: 6, labelled: 3, unlabelled: 2 });
    const created = applyRules(small(), parseRulesConfig({ column: 'weak', rules: [{ when: 'age < 25', then: 1 }], default: 0 }, 'r'));
    expect(created.table.columnNames.at(-1)).toBe('weak');
    expect(Array.from({ length: 6 }, (_, r) => created.table.cell('weak', r))).toEqual(['1', '0', '1', '0', '1', '0']);
    expect(created.stats).toMatchObject({ labelledByRules: 3, labelledByDefault: 3, unlabelled: 0, distribution: { '1': 3, '0': 3 } });
    const numeric = tableFromRows([{ x: 1, score: 0.5 }, { x: 2, score: null }]);
    expect(() => applyRules(numeric, parseRulesConfig({ column: 'score', rules: [{ when: 'x > 1', then: 'high' }] }, 'r'))).toThrow(/label 'high' cannot go in numeric column 'score'/);
  });

  it('on credit-g: counts match an independent computation over the raw file', async () => {
    const table = await readTable(CREDIT);
    const raw = await readRaw(CREDIT);
    const col = (n: string) => raw.cells[raw.names.indexOf(n)]!.map((v) => String(v));
    const amount = col('credit_amount').map(Number);
    const age = col('age').map(Number);
    const purpose = col('purpose');
    const cls = col('class');
    const n = amount.length;
    const r1 = (i: number) => amount[i]! > 10000;
    const r2 = (i: number) => (purpose[i] === 'radio/tv' || purpose[i] === 'education') && age[i]! < 25;
    const r3 = (i: number) => age[i]! < 25 && amount[i]! > 5000;
    const labelOf = ['bad', 'good', 'bad'];
    const preds = [r1, r2, r3];
    const expected = { matches: [0, 0, 0], won: [0, 0, 0], covered: 0, overlaps: 0, conflicts: 0, agree: [0, 0, 0], dist: {} as Record<string, number> };
    for (let i = 0; i < n; i++) {
      const hits = preds.flatMap((p, j) => (p(i) ? [j] : []));
      hits.forEach((j) => {
        expected.matches[j]!++;
        if (cls[i] === labelOf[j]) expected.agree[j]!++;
      });
      if (!hits.length) continue;
      expected.covered++;
      expected.won[hits[0]!]!++;
      expected.dist[labelOf[hits[0]!]!] = (expected.dist[labelOf[hits[0]!]!] ?? 0) + 1;
      if (hits.length > 1) expected.overlaps++;
      if (new Set(hits.map((j) => labelOf[j])).size > 1) expected.conflicts++;
    }
    expect(expected.covered).toBeGreaterThan(50); // the rules are not vacuous
    expect(expected.conflicts).toBeGreaterThan(0);

    // A new weak-label column: every row is eligible.
    const config = parseRulesConfig(
      {
        column: 'weak_class',
        rules: [
          { name: 'large_loan', when: 'credit_amount > 10000', then: 'bad' },
          { name: 'young_consumer', when: 'purpose in ("radio/tv", "education") and age < 25', then: 'good' },
          { name: 'young_large', when: 'age < 25 and credit_amount > 5000', then: 'bad' },
        ],
      },
      'rules.yaml',
    );
    const { table: out, stats } = applyRules(table, config);
    expect(stats.eligible).toBe(1000);
    expect(stats.rules.map((r) => r.matches)).toEqual(expected.matches);
    expect(stats.rules.map((r) => r.won)).toEqual(expected.won);
    expect(stats.covered).toBe(expected.covered);
    expect(stats.coverage).toBeCloseTo(expected.covered / 1000, 10);
    expect(stats.overlaps).toBe(expected.overlaps);
    expect(stats.conflicts).toBe(expected.conflicts);
    expect(stats.unlabelled).toBe(1000 - expected.covered);
    expect(stats.distribution).toEqual(expected.dist);
    expect(stats.warnings).toEqual([]);
    let written = 0;
    for (let i = 0; i < n; i++) if (out.cell('weak_class', i) !== null) written++;
    expect(written).toBe(expected.covered);

    // The same rules against the real class (overwrite): agreement with the labels already there.
    const against = applyRules(table, { ...config, column: 'class', mode: 'overwrite' });
    expect(against.stats.rules.map((r) => r.agreement?.agree)).toEqual(expected.agree);
    expect(against.stats.rules.map((r) => r.agreement?.rows)).toEqual(expected.matches);
  });
});

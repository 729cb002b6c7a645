import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEncoding } from '../../src/data/readers/encoding.js';
import { readTable, tableFromRows } from '../../src/data/readers/index.js';
import { inferType } from '../../src/data/infer.js';
import { CANCER, CREDIT, tmp } from '../helpers.js';

const dir = tmp();
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('data: readers', () => {
  it('reads credit-g ARFF with declared types and class order', async () => {
    const t = await readTable(CREDIT);
    expect(t.numRows).toBe(1000);
    expect(t.columns).toHaveLength(21);
    const cls = t.column('class');
    expect(cls.type).toBe('categorical');
    expect(cls.type === 'categorical' && cls.dictionary).toEqual(['good', 'bad']);
    expect(t.column('duration').type).toBe('numeric');
    expect(t.cell('checking_status', 0)).toBe('<0');
    expect(t.cell('credit_amount', 1)).toBe(5951);
    expect(t.where(0)).toMatch(/credit-g.arff line 302$/);
  });

  it('reads the breast-cancer CSV with inferred numeric features', async () => {
    const t = await readTable(CANCER);
    expect(t.numRows).toBe(569);
    expect(t.columns.filter((c) => c.type === 'numeric')).toHaveLength(30);
    expect(t.column('diagnosis').type).toBe('categorical');
  });

  it('handles quoted fields, CRLF, BOM, missing tokens, TSV and JSONL', async () => {
    const csv = await readTable(file('q.csv', '\ufeffname,amount,note\r\n"Smith, J",1.5,"said ""hi"""\r\nLee,?,\r\n'));
    expect(csv.cell('name', 0)).toBe('Smith, J');
    expect(csv.cell('note', 0)).toBe('said "hi"');
    expect(csv.cell('amount', 1)).toBeNull();
    expect(csv.cell('note', 1)).toBeNull();
    const tsv = await readTable(file('t.tsv', 'a\tb\n1\tx\n2\ty\n'));
    expect(tsv.cell('a', 1)).toBe(2);
    const jsonl = await readTable(file('r.jsonl', '{"a": 1, "b": "x"}\n\n{"a": null, "c": true}\n'));
    expect(jsonl.columnNames).toEqual(['a', 'b', 'c']);
    expect(jsonl.cell('a', 1)).toBeNull();
    expect(jsonl.cell('c', 1)).toBe(true);
    expect(jsonl.where(1)).toMatch(/r.jsonl line 3$/);
  });

  it('infers numeric, categorical, boolean, text and date columns', () => {
    expect(inferType(['1', '2.5', '-3e2', '?'])).toBe('numeric');
    expect(inferType(['true', 'False', ''])).toBe('boolean');
    expect(inferType(['2024-01-02', '2024-03-04T10:00:00Z'])).toBe('date');
    expect(inferType(['red', 'blue', 'red'])).toBe('categorical');
    const sentences = Array.from({ length: 40 }, (_, i) => `customer ${i} asked about the refund of order ${i * 7}`);
    expect(inferType(sentences)).toBe('text');
    expect(inferType(['1', 'NaN'])).toBe('numeric');
  });

  it("reads ARFF declarations followed by a '% comment' (Weka's supermarket.arff)", async () => {
    const t = await readTable(file('comment.arff', "@relation x % basket\n@attribute 'a%b' { t}\n@attribute total { low, high} % low < 100\n@data\nt,high\n?,low\n"));
    expect(t.columnNames).toEqual(['a%b', 'total']);
    expect(t.schema[1]).toEqual({ name: 'total', type: 'categorical', categories: ['low', 'high'] });
    expect([t.cell('a%b', 1), t.cell('total', 1)]).toEqual([null, 'low']);
  });

  it('names file, line and fix for malformed input', async () => {
    await expect(readTable(join(dir, 'nope.csv'))).rejects.toThrow(/file not found: '.*nope.csv'/);
    await expect(readTable(file('x.parquetish', 'a'))).rejects.toThrow(/unknown file type '.parquetish'/);
    await expect(readTable(file('bad.csv', 'a,b\n1,2\n3,4,5\n6,7\n'))).rejects.toThrow(/bad.csv line 3 has a different number of fields than the header/);
    await expect(readTable(file('quote.csv', 'a,b\n1,"unclosed\n'))).rejects.toThrow(/quote.csv line \d+ has a quote that is never closed/);
    await expect(readTable(file('dup.csv', 'a,a\n1,2\n'))).rejects.toThrow(/column name 'a' appears twice/);
    await expect(readTable(file('bad.jsonl', '{"a": 1}\n{"a": \n'))).rejects.toThrow(/bad.jsonl line 2 is not valid JSON/);
    await expect(readTable(file('bad.arff', '@relation x\n@attribute a numeric\n@attribute b {x,y}\n@data\n1,x\n2\n'))).rejects.toThrow(/bad.arff line 6: 1 values, but 2 attributes are declared/);
    await expect(readTable(file('nan.csv', 'a,b\n1,x\nNaN,y\n'))).rejects.toThrow(/nan.csv line 3, column 'a': 'NaN' is not a finite number/);
    await expect(readTable(file('zero.csv', ''))).rejects.toThrow(/zero.csv is empty \(0 bytes\)/);
    writeFileSync(join(dir, 'latin1.csv'), Buffer.concat([Buffer.from('name,city\nA,Paris\nB,'), Buffer.from([0x4d, 0xfc, 0x6e, 0x63, 0x68, 0x65, 0x6e]), Buffer.from('\n')]));
    await expect(readTable(join(dir, 'latin1.csv'))).rejects.toThrow(/latin1.csv line 3 is not valid UTF-8/);
  });

  it('reads Latin-1, Windows-1252 and UTF-16 files when told (or by BOM)', async () => {
    const latin = await readTable(join(dir, 'latin1.csv'), undefined, { encoding: parseEncoding('ISO-8859-1') });
    expect(latin.cell('city', 1)).toBe('München');
    writeFileSync(join(dir, 'cp1252.csv'), Buffer.from([...Buffer.from('item,price\n'), 0x80, ...Buffer.from('5,5\n')]));
    expect((await readTable(join(dir, 'cp1252.csv'), undefined, { encoding: 'windows-1252' })).cell('item', 0)).toBe('€5');
    writeFileSync(join(dir, 'u16.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name,n\nZoë,1\nÅsa,2\n', 'utf16le')]));
    const u16 = await readTable(join(dir, 'u16.csv'));
    expect([u16.cell('name', 0), u16.cell('n', 1)]).toEqual(['Zoë', 2]);
    expect(() => parseEncoding('ebcdic')).toThrow(/unknown encoding 'ebcdic'.*/);
  });

  it('coerces JSON rows to a given schema and rejects non-finite numbers', () => {
    const schema = [{ name: 'n', type: 'numeric' as const }, { name: 'c', type: 'categorical' as const, categories: ['a', 'b'] }];
    const t = tableFromRows([{ n: '3', c: 'b', extra: 1 }], schema);
    expect(t.columnNames).toEqual(['n', 'c']);
    expect(t.cell('n', 0)).toBe(3);
    expect(() => tableFromRows([{ n: Infinity, c: 'a' }], schema)).toThrow(/row 1, column 'n': Infinity is not a finite number/);
    expect(() => tableFromRows([{ n: 'abc', c: 'a' }], schema)).toThrow(/'abc' is not a number/);
    expect(() => tableFromRows([{ n: { x: 1 } }], schema)).toThrow(/nested objects/);
  });
});

describe('data: CSV dialects', () => {
  it('sniffs semicolon, tab and pipe delimiters, and reads headerless numeric files', async () => {
    const semi = await readTable(file('eu.csv', 'name;amount;city\n"Müller; Hans";1,5;Köln\nLee;2;Paris\n'));
    expect(semi.columnNames).toEqual(['name', 'amount', 'city']);
    expect(semi.cell('name', 0)).toBe('Müller; Hans');
    const pipe = await readTable(file('pipe.csv', 'a|b\n1|x\n2|y\n'));
    expect(pipe.cell('b', 1)).toBe('y');
    const tabs = await readTable(file('tabs.csv', 'a\tb\n1\t2\n'));
    expect(tabs.cell('b', 0)).toBe(2);
    const bare = await readTable(file('bare.csv', '1.5,2,0\n3,4,1\n'));
    expect(bare.columnNames).toEqual(['column1', 'column2', 'column3']);
    expect(bare.numRows).toBe(2);
    expect(bare.where(0)).toMatch(/bare.csv line 1$/);
    const commas = await readTable(file('commas.csv', 'name,note\nA,"x; y; z"\nB,"p; q"\n'));
    expect(commas.columnNames).toEqual(['name', 'note']);
  });
});

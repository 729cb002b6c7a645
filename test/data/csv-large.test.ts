import { spawnSync } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toTable } from '../../src/data/infer.js';
import { readLargeDelimited } from '../../src/data/readers/csv-large.js';
import { readRaw, readTable } from '../../src/data/readers/index.js';
import { isDict, type Table } from '../../src/data/table.js';
import { toCsv } from '../../src/data/writers/csv.js';
import { CREDIT, ROOT, tmp } from '../helpers.js';

const dir = tmp();
function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Same columns, types, dictionaries and values (NaN = NaN). */
function expectSameTable(a: Table, b: Table): void {
  expect(a.numRows).toBe(b.numRows);
  expect(a.schema.map((s) => [s.name, s.type])).toEqual(b.schema.map((s) => [s.name, s.type]));
  a.columns.forEach((c, i) => {
    const d = b.columns[i]!;
    if (isDict(c) && isDict(d)) {
      expect(c.dictionary).toEqual(d.dictionary);
      expect([...c.codes]).toEqual([...d.codes]);
    } else if (!isDict(c) && !isDict(d)) {
      expect([...c.values].map((v) => (Number.isNaN(v) ? null : v))).toEqual([...d.values].map((v) => (Number.isNaN(v) ? null : v)));
    }
  });
}

/** `rows` data lines after a header: a numeric id, a category and a value. */
function lines(rows: number): string {
  let s = 'id,kind,value\n';
  for (let i = 1; i <= rows; i++) s += `${i},k${i % 7},${(i * 0.25).toFixed(2)}\n`;
  return s;
}

describe('data: large CSV files stream through DuckDB', () => {
  it('gives the same table as the in-memory reader on credit-g with quotes, missing values and booleans', async () => {
    const credit = await readTable(CREDIT);
    // Dirty it the way exports are dirty: a boolean column, quoted delimiters and line breaks, missing markers.
    let csv = toCsv(credit)
      .trimEnd()
      .split('\n')
      .map((line, i) => `${line},${i === 0 ? 'flag' : i % 3 ? 'true' : 'FALSE'}\n`)
      .join('');
    csv = csv.replace(/,radio\/tv,/, ',"radio, tv\nand more",').replace(/,4,/g, ',?,');
    const path = file('credit-dirty.csv', csv);
    const small = toTable(await readRaw(path));
    const large = await readLargeDelimited(path, csv.length);
    expectSameTable(large, small);
    expect(large.column('flag').type).toBe('boolean');
    expect(large.column('purpose').type === 'categorical' && large.column('purpose').dictionary).toContain('radio, tv\nand more');
  });

  it('reads semicolon, tab and headerless files like the small reader', async () => {
    for (const [name, text] of [
      ['semi.csv', 'a;b\n1,5;x\n2;y\n'],
      ['tab.tsv', 'a\tb\n1\tx\n2\ty\n'],
      ['nohead.csv', '1,2,3\n4,5,6\n'],
    ] as const) {
      const p = file(name, text);
      expectSameTable(await readLargeDelimited(p, text.length, { delimiter: name.endsWith('.tsv') ? '\t' : undefined }), toTable(await readRaw(p)));
    }
  });

  it('turns a column the sample called numeric into a category when text appears later', async () => {
    const p = file('late-text.csv', `${lines(3000)}3001,k1,unknown\n`);
    const t = await readLargeDelimited(p, 0, { sampleBytes: 2048 });
    expect(t.numRows).toBe(3001);
    expect(t.column('id').type).toBe('numeric');
    const v = t.column('value');
    expect(v.type).toBe('categorical');
    expect([t.cell('value', 0), t.cell('value', 3000)]).toEqual(['0.25', 'unknown']);
  });

  it('codes categories the sample saw in DuckDB and appends new ones in first-seen order', async () => {
    const p = file('late-categories.csv', `${lines(3000)}3001, k3 ,1\n3002,k99,2\n3003,,3\n3004,k99,4\n`);
    const large = await readLargeDelimited(p, 0, { sampleBytes: 2048 });
    expectSameTable(large, toTable(await readRaw(p)));
    const kind = large.column('kind');
    expect(kind.type === 'categorical' && kind.dictionary.at(-1)).toBe('k99');
    expect([large.cell('kind', 3000), large.cell('kind', 3001), large.cell('kind', 3002)]).toEqual(['k3', 'k99', null]);
  });

  it('names the line of a ragged row, an unclosed quote, invalid UTF-8 and nan beyond the sample', async () => {
    const body = lines(3000);
    const at = (name: string, tail: string | Buffer) => readLargeDelimited(file(name, Buffer.concat([Buffer.from(body), Buffer.from(tail)])), 0, { sampleBytes: 2048 });
    await expect(at('ragged.csv', '1,k,2,3\n')).rejects.toThrow(/ragged.csv line 3002 has a different number of fields than the header/);
    await expect(at('quote.csv', '1,"k,2\n')).rejects.toThrow(/quote.csv line 3002 has a quote that is never closed/);
    await expect(at('latin.csv', Buffer.from([0x31, 0x2c, 0xe9, 0x2c, 0x32, 0x0a]))).rejects.toThrow(/latin.csv line 3002 is not valid UTF-8/);
    await expect(at('nan.csv', '1,k,nan\n')).rejects.toThrow(/nan.csv, column 'value': a value is nan or inf/);
    const latin = await readLargeDelimited(file('latin-ok.csv', Buffer.concat([Buffer.from(body), Buffer.from([0x31, 0x2c, 0xe9, 0x2c, 0x32, 0x0a])])), 0, { sampleBytes: 2048, encoding: 'latin1' });
    expect(latin.cell('kind', 3000)).toBe('é');
  });

  it('ingests 1,000,000 rows × 20 columns within a small multiple of the table in memory', async () => {
    const path = join(dir, 'million.csv');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(path);
      out.on('error', reject);
      out.write(`${Array.from({ length: 18 }, (_, i) => `x${i}`).join(',')},segment,label\n`);
      let seed = 1;
      const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
      let i = 0;
      const more = () => {
        while (i < 1_000_000) {
          let block = '';
          for (let j = 0; j < 10_000; j++, i++) {
            const cells: string[] = [];
            for (let c = 0; c < 18; c++) cells.push((rand() * 100 - 50).toFixed(3));
            block += `${cells.join(',')},s${i % 13},${rand() < 0.2 ? 'yes' : 'no'}\n`;
          }
          if (!out.write(block)) return void out.once('drain', more);
        }
        out.end(resolve);
      };
      more();
    });
    // A child process so its peak memory is this read's alone.
    const script = `import { readTable } from ${JSON.stringify(join(ROOT, 'dist/src/data/readers/index.js'))};
      const t = await readTable(${JSON.stringify(path)});
      console.log(JSON.stringify({ rows: t.numRows, types: t.columns.map((c) => c.type), first: t.cell('x0', 0), seg: t.cell('segment', 999999), maxRssMb: process.resourceUsage().maxRSS / 1024 }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { rows: number; types: string[]; first: number; seg: string; maxRssMb: number };
    expect(out.rows).toBe(1_000_000);
    expect(out.types).toEqual([...Array<string>(18).fill('numeric'), 'categorical', 'categorical']);
    expect(out.seg).toBe(`s${999_999 % 13}`);
    // The table itself: 18 Float64 + 2 Int32 columns = 152 MB. Holding the file as text plus a
    // string per cell (the small reader) peaks above 2 GB on the same file.
    const tableMb = (1_000_000 * (18 * 8 + 2 * 4)) / 1024 / 1024;
    expect(out.maxRssMb).toBeLessThan(5 * tableMb);
  });
});

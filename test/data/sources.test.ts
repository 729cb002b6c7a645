import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import writeXlsxFile from 'write-excel-file/node';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toTable } from '../../src/data/infer.js';
import { idxToTable, locateFashionMnist, parseIdx, readIdx } from '../../src/data/readers/idx.js';
import { readTable } from '../../src/data/readers/index.js';
import { readSql, redactUrl } from '../../src/data/readers/sql.js';
import { parseExcel } from '../../src/data/readers/excel.js';
import { CREDIT, cli, tmp } from '../helpers.js';
import { startPostgres, type PgServer } from '../registry/pg-server.js';

describe('data: IDX (Fashion-MNIST)', () => {
  it('reads the real test split: 10,000 28×28 images, 1,000 of each of 10 classes', async () => {
    const dir = locateFashionMnist();
    const images = await readIdx(join(dir, 't10k-images-idx3-ubyte.gz'));
    const labels = await readIdx(join(dir, 't10k-labels-idx1-ubyte.gz'));
    expect(images.shape).toEqual([10000, 28, 28]);
    expect(images.data).toBeInstanceOf(Uint8Array);
    expect(labels.shape).toEqual([10000]);
    const counts = new Array<number>(10).fill(0);
    for (const l of labels.data) counts[l]!++;
    expect(counts).toEqual(new Array(10).fill(1000));
    const t = idxToTable({ shape: [100, 28, 28], data: images.data.subarray(0, 100 * 784) }, { shape: [100], data: labels.data.subarray(0, 100) });
    expect(t.columns).toHaveLength(785);
    expect(t.column('label').type).toBe('categorical');
  });

  it('reads other element types and names what is wrong with a broken file', () => {
    const header = Buffer.from([0, 0, 0x0b, 2, 0, 0, 0, 2, 0, 0, 0, 2]);
    const body = Buffer.alloc(8);
    [1, -2, 300, -400].forEach((v, i) => body.writeInt16BE(v, i * 2));
    const shorts = parseIdx(gzipSync(Buffer.concat([header, body])), 'x');
    expect(Array.from(shorts.data)).toEqual([1, -2, 300, -400]);
    expect(() => parseIdx(Buffer.concat([header, body.subarray(0, 6)]), 'cut.idx')).toThrow(/cut.idx is not a valid IDX file \(truncated: the header promises 4 short values, the file holds 3\)/);
    expect(() => parseIdx(Buffer.from('hello world'), 'text.idx')).toThrow(/no IDX magic number/);
    expect(() => parseIdx(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'bad.gz')).toThrow(/broken gzip data/);
  });
});

describe('data: Parquet', () => {
  it('reads a Parquet file written by another library (credit-g), and names a broken one', async () => {
    const credit = await readTable(CREDIT);
    const columnData = credit.columns.map((c) => ({
      name: c.name,
      data: Array.from({ length: credit.numRows }, (_, r) => credit.cell(c.name, r)),
      type: c.type === 'numeric' ? ('DOUBLE' as const) : ('STRING' as const),
    }));
    const dir = tmp();
    const path = join(dir, 'credit.parquet');
    writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData })));
    const t = await readTable(path);
    expect(t.numRows).toBe(1000);
    expect(t.columnNames).toEqual(credit.columnNames);
    expect(t.cell('credit_amount', 1)).toBe(5951);
    expect(t.cell('purpose', 0)).toBe('radio/tv');
    const r = await cli(['data', 'add', 'loans', path], { cwd: dir });
    expect(r.stdout).toMatch(/added loans@1 \(1000 rows, 21 columns\)/);
    writeFileSync(join(dir, 'broken.parquet'), Buffer.from('PAR1 not really parquet'));
    await expect(readTable(join(dir, 'broken.parquet'))).rejects.toThrow(/broken.parquet is not a readable Parquet file/);
  });
});

describe('data: Excel', () => {
  it('reads an .xlsx workbook (credit-g with dates and booleans), a named sheet, and names a broken one', async () => {
    const credit = await readTable(CREDIT);
    const names = credit.columnNames;
    const header = [...names, 'applied', 'foreign_worker_flag'].map((value) => ({ value }));
    const rows = Array.from({ length: credit.numRows }, (_, r) => [
      ...names.map((n) => ({ value: credit.cell(n, r) as string | number | null })),
      { value: new Date(Date.UTC(2024, r % 12, 1 + (r % 28))), type: Date, format: 'yyyy-mm-dd' },
      { value: r % 3 === 0 },
    ]);
    const dir = tmp();
    const path = join(dir, 'credit.xlsx');
    const book = await writeXlsxFile([{ data: [[{ value: 'notes' }], [{ value: 'x' }]], sheet: 'About' }, { data: [header, ...rows] as never, sheet: 'Applicants' }]).toBuffer();
    writeFileSync(path, book);
    const raw = await parseExcel(book, 'credit.xlsx', 'Applicants');
    const t = toTable(raw);
    expect(t.numRows).toBe(1000);
    expect(t.cell('credit_amount', 1)).toBe(5951);
    expect(t.cell('purpose', 0)).toBe('radio/tv');
    expect(t.column('applied').type).toBe('date');
    expect(t.cell('applied', 13)).toBe('2024-02-14T00:00:00.000Z');
    expect(t.column('foreign_worker_flag').type).toBe('boolean');
    expect(t.where(0)).toBe('credit.xlsx line 2');
    // The file path takes the first sheet.
    expect((await readTable(path)).columnNames).toEqual(['notes']);
    await expect(parseExcel(book, 'credit.xlsx', 'Loans')).rejects.toThrow(/credit.xlsx has no sheet 'Loans'/);
    writeFileSync(join(dir, 'broken.xlsx'), Buffer.from('PK not a workbook'));
    await expect(readTable(join(dir, 'broken.xlsx'))).rejects.toThrow(/broken.xlsx is not a readable .xlsx workbook/);
  });
});

describe('data: SQL sources', () => {
  let server: PgServer;
  beforeAll(async () => {
    server = startPostgres();
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query('CREATE TABLE loans (id SERIAL PRIMARY KEY, amount NUMERIC, purpose TEXT, granted DATE)');
    await c.query("INSERT INTO loans (amount, purpose, granted) VALUES (1169, 'radio/tv', '2024-03-01'), (5951, 'education', '2024-04-12'), (NULL, 'car', '2024-05-30')");
    await c.end();
  });
  afterAll(() => server?.stop());

  it('reads a query from PostgreSQL, and names the query when it fails', async () => {
    const t = toTable(await readSql(server.url, 'SELECT purpose, amount::float8 AS amount, granted FROM loans ORDER BY id'));
    expect(t.columnNames).toEqual(['purpose', 'amount', 'granted']);
    expect(t.cell('amount', 1)).toBe(5951);
    expect(t.cell('amount', 2)).toBeNull();
    expect(t.column('granted').type).toBe('date');
    await expect(readSql(server.url, 'SELECT * FROM nowhere')).rejects.toThrow(/query failed on postgresql:.*relation "nowhere" does not exist\n {2}query: SELECT \* FROM nowhere/);
    await expect(readSql(server.url, 'SELECT a.purpose, b.purpose FROM loans a JOIN loans b ON a.id = b.id')).rejects.toThrow(/column 'purpose' appears twice in the result of: SELECT a.purpose/);
    expect(redactUrl('postgres://me:secret@db/shop')).toBe('postgres://me:***@db/shop');
  });

  it('adds a SQLite query result as a dataset version from the CLI', async () => {
    const cwd = tmp();
    const dbPath = join(cwd, 'bank.db');
    const credit = await readTable(CREDIT);
    const db = new Database(dbPath);
    db.exec('CREATE TABLE applicants (duration REAL, purpose TEXT, class TEXT)');
    const insert = db.prepare('INSERT INTO applicants VALUES (?, ?, ?)');
    for (let r = 0; r < credit.numRows; r++) insert.run(credit.cell('duration', r), credit.cell('purpose', r), credit.cell('class', r));
    db.close();
    const r = await cli(['data', 'add', 'applicants', '--sql', "SELECT * FROM applicants WHERE class = 'bad'", '--url', dbPath], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/added applicants@1 \(300 rows, 3 columns\)/);
    expect((await cli(['data', 'show', 'applicants'], { cwd })).stdout).toMatch(/source: sql on .*bank.db: SELECT \* FROM applicants WHERE class = 'bad'/);
    const bad = await cli(['data', 'add', 'x', '--sql', 'SELEC 1', '--url', dbPath], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/query failed on .*bank.db: near "SELEC": syntax error/);
    expect((await cli(['data', 'add', 'x', '--sql', 'SELECT 1'], { cwd })).stderr).toMatch(/--sql needs --url/);
  });
});

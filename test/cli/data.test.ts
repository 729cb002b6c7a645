import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyValue } from '../../src/data/pii.js';
import { tableFromRows } from '../../src/data/readers/index.js';
import { toCsv } from '../../src/data/writers/csv.js';
import { locateFashionMnist } from '../../src/data/readers/idx.js';
import { dirtyCredit, fashion, plantedCustomers, writeFolder } from '../data/fixtures.js';
import { CREDIT, cli, tmp } from '../helpers.js';

describe('cli: data', () => {
  it('adds versions by content, lists, shows lineage, and inspects as text, JSON and HTML', async () => {
    const cwd = tmp();
    expect((await cli(['data', 'add', 'loans', CREDIT], { cwd })).stdout).toMatch(/added loans@1 \(1000 rows, 21 columns\)/);
    expect((await cli(['data', 'add', 'loans', CREDIT], { cwd })).stdout).toMatch(/unchanged: same content as loans@1/);
    const list = JSON.parse((await cli(['data', 'list', '--json'], { cwd })).stdout) as { name: string; version: number; rows: number }[];
    expect(list).toEqual([expect.objectContaining({ name: 'loans', version: 1, rows: 1000 })]);
    const show = await cli(['data', 'show', 'loans@1'], { cwd });
    expect(show.stdout).toMatch(/source: file credit-g.arff added by cli:/);
    const text = await cli(['data', 'inspect', 'loans', '--target', 'class', '--html', join(cwd, 'report.html')], { cwd });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/class balance of 'class': good 700 \(70.0%\), bad 300 \(30.0%\)/);
    expect(readFileSync(join(cwd, 'report.html'), 'utf8')).toMatch(/<h1>Data quality: loans@1<\/h1>/);
    const json = JSON.parse((await cli(['data', 'inspect', CREDIT, '--json'], { cwd })).stdout) as { rows: number; columns: unknown[] };
    expect(json.rows).toBe(1000);
    expect((await cli(['data', 'show', 'ghost'], { cwd })).stderr).toMatch(/dataset 'ghost' not found in project 'default'/);
  });

  it('flags personal data on ingest and masks it into a new version with lineage', async () => {
    const cwd = tmp();
    const file = join(cwd, 'customers.csv');
    writeFileSync(file, toCsv(tableFromRows(plantedCustomers())));
    const add = await cli(['data', 'add', 'customers', file], { cwd });
    expect(add.stderr).toMatch(/column 'email' holds personal data \(email\)/);
    expect(add.stderr).toMatch(/column 'card' holds personal data \(card\)/);
    const mask = await cli(['data', 'mask', 'customers', '--policy', 'email=hash,last_ip=drop'], { cwd });
    expect(mask.code, mask.stderr).toBe(0);
    expect(mask.stdout).toMatch(/customers@2: .*pii hash email \(email\).*pii drop last_ip \(ip\)/);
    const show = (await cli(['data', 'show', 'customers@2'], { cwd })).stdout;
    expect(show).toMatch(/derived from: customers@1/);
    expect(show).toMatch(/transforms: .*pii drop last_ip/);
    expect(/columns: (.*)/.exec(show)![1]).not.toMatch(/last_ip/);
    const report = JSON.parse((await cli(['data', 'inspect', 'customers@2', '--json'], { cwd })).stdout) as { pii: { kind: string }[] };
    expect(report.pii.map((p) => p.kind)).toEqual(['person_name']); // the header still says "name"; values are masked
    // The stored file holds no value a detector recognises.
    const versions = JSON.parse((await cli(['data', 'list', '--json'], { cwd })).stdout) as { version: number; hash: string }[];
    const stored = readFileSync(join(cwd, '.lepton', 'datasets', `${versions.find((v) => v.version === 2)!.hash}.csv`), 'utf8');
    for (const cell of stored.split(/[\n,]/)) expect(classifyValue(cell.replaceAll('"', '')), cell).toBeUndefined();
    expect((await cli(['data', 'mask', 'customers', '--policy', 'email=encrypt'], { cwd })).stderr).toMatch(/invalid policy rule 'email=encrypt'/);
  });

  it('treats personal data before storing with --pii, and converts a Latin-1 file to UTF-8', async () => {
    const cwd = tmp();
    const file = join(cwd, 'crm.csv');
    // A Windows export: Latin-1 bytes (é in the notes), personal data in several columns.
    writeFileSync(file, Buffer.from(toCsv(tableFromRows(plantedCustomers().map((r) => ({ ...r, note: `${r.note} café` })))), 'latin1'));
    const refused = await cli(['data', 'add', 'crm', file], { cwd });
    expect(refused.stderr).toMatch(/crm.csv line 2 is not valid UTF-8/);
    expect(refused.stderr).toMatch(/--encoding latin1/);
    const add = await cli(['data', 'add', 'crm', file, '--encoding', 'latin1', '--pii', 'email=hash,last_ip=drop'], { cwd });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/personal data treated before storing: .*pii hash email \(email\).*pii mask card \(card\).*pii drop last_ip \(ip\)/);
    const versions = JSON.parse((await cli(['data', 'list', '--json'], { cwd })).stdout) as { hash: string; columns: string[] }[];
    expect(versions).toHaveLength(1);
    expect(versions[0]!.columns).not.toContain('last_ip');
    const stored = readFileSync(join(cwd, '.lepton', 'datasets', `${versions[0]!.hash}.csv`), 'utf8');
    expect(stored).toContain('café');
    for (const cell of stored.split(/[\n,]/)) expect(classifyValue(cell.replaceAll('"', '')), cell).toBeUndefined();
    expect((await cli(['data', 'show', 'crm'], { cwd })).stdout).toMatch(/source: file crm.csv \(latin1\) added by .*\ntransforms: .*pii hash email/);
    expect((await cli(['data', 'add', 'x', file, '--encoding', 'latin1', '--pii', 'encrypt'], { cwd })).stderr).toMatch(/invalid --pii 'encrypt'/);
  });

  it('adds image folders, IDX splits and text folders as dataset versions', async () => {
    const cwd = tmp();
    const scans = join(cwd, 'scans');
    await writeFolder(scans, await fashion());
    const add = await cli(['data', 'add', 'fashion-bits', scans, '--size', '14x14'], { cwd });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/added fashion-bits@1 \(36 images 14×14×1, 3 classes, 36 resized\)/);
    const report = await cli(['data', 'inspect', 'fashion-bits', '--target', 'label'], { cwd });
    expect(report.stdout).toMatch(/class balance of 'label': pullover 12 \(33.3%\), t-shirt 12 \(33.3%\), trouser 12 \(33.3%\)/);
    expect((await cli(['data', 'clean', 'fashion-bits'], { cwd })).stderr).toMatch(/fashion-bits@1 is an image dataset; clean works on tables/);
    expect((await cli(['data', 'add', 'x', scans, '--size', 'big'], { cwd })).stderr).toMatch(/invalid --size 'big'/);
    const idx = await cli(['data', 'add', 'fmnist-test', locateFashionMnist(), '--split', 't10k', '--json'], { cwd });
    expect(JSON.parse(idx.stdout)).toMatchObject({ name: 'fmnist-test', version: 1, rows: 10_000, format: 'images', kind: 'images' });
    const docs = join(cwd, 'tickets');
    for (const [cls, texts] of Object.entries({ billing: ['I was charged twice for my plan', 'refund the duplicate invoice please'], login: ['cannot sign in after the password reset', 'two factor code never arrives'] })) {
      mkdirSync(join(docs, cls), { recursive: true });
      texts.forEach((t, i) => writeFileSync(join(docs, cls, `${i}.txt`), t));
    }
    const text = await cli(['data', 'add', 'tickets', docs], { cwd });
    expect(text.stdout).toMatch(/added tickets@1 \(4 documents, 2 classes\)/);
    expect((await cli(['data', 'show', 'tickets'], { cwd })).stdout).toMatch(/columns: text, label/);
  });

  it('cleans by a YAML policy into a new version whose lineage lists the changes', async () => {
    const cwd = tmp();
    const file = join(cwd, 'dirty.csv');
    writeFileSync(file, toCsv(tableFromRows(await dirtyCredit())));
    await cli(['data', 'add', 'loans', file], { cwd });
    writeFileSync(join(cwd, 'clean.yaml'), 'outliers: keep\nmissing: impute\n');
    const r = await cli(['data', 'clean', 'loans', '--target', 'class', '--policy', join(cwd, 'clean.yaml')], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/loans@2: 1015 → 1000 rows/);
    expect(r.stdout).toMatch(/dropped column decision_code \(predicts 'class' almost perfectly\)/);
    expect(r.stdout).toMatch(/imputed 50 missing values in age/);
    expect(r.stdout).not.toMatch(/clipped/);
    expect((await cli(['data', 'show', 'loans@2'], { cwd })).stdout).toMatch(/derived from: loans@1\ntransforms: dropped column branch \(constant\); dropped column decision_code/);
    writeFileSync(join(cwd, 'bad.yaml'), 'outliers: [clip\n');
    expect((await cli(['data', 'clean', 'loans', '--policy', join(cwd, 'bad.yaml')], { cwd })).stderr).toMatch(/bad.yaml is not valid YAML/);
    writeFileSync(join(cwd, 'typo.yaml'), 'outlier: clip\n');
    expect((await cli(['data', 'clean', 'loans', '--policy', join(cwd, 'typo.yaml')], { cwd })).stderr).toMatch(/typo.yaml: policy: Unrecognized key: "outlier"/);
  });
});

import { describe, expect, it } from 'vitest';
import { CREDIT, cli, tmp } from '../helpers.js';

describe('cli: registry commands', () => {
  it('train --register records runs and versions; models list/show/promote/rollback; keys create/list/revoke', async () => {
    const cwd = tmp(); // the registry is ./.lepton of the working folder
    const first = await cli(['train', CREDIT, '--target', 'class', '--model', 'logistic', '--register', 'credit', '--alias', 'staging', '-q'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/registered as credit@1 \(staging\) \(run 1\)/);
    const second = await cli(['train', CREDIT, '--target', 'class', '--model', 'xgboost', '--register', 'credit', '-q'], { cwd });
    expect(second.stdout).toMatch(/registered as credit@2 \(run 2\)/);
    expect((await cli(['models', 'promote', 'credit@1', '--alias', 'production'], { cwd })).stdout).toMatch(/credit@production → version 1/);
    expect((await cli(['models', 'promote', 'credit@2', '--alias', 'production'], { cwd })).stdout).toMatch(/credit@production → version 2 \(was 1\)/);
    const list = await cli(['models', 'list', '--json'], { cwd });
    expect(JSON.parse(list.stdout)).toEqual([{ name: 'credit', latest: 2, versions: 2, aliases: { staging: 1, production: 2 } }]);
    const show = await cli(['models', 'show', 'credit'], { cwd });
    expect(show.stdout).toMatch(/1\s+staging\s+classification\s+roc auc 0\.\d{4}\s+1/);
    expect(show.stdout).toMatch(/2\s+production\s+classification/);
    expect((await cli(['models', 'rollback', 'credit', '--alias', 'production'], { cwd })).stdout).toMatch(/credit@production → version 1 \(was 2\)/);
    const one = JSON.parse((await cli(['models', 'show', 'credit@production', '--json'], { cwd })).stdout) as { version: number; aliases: string[] }[];
    expect(one[0]).toMatchObject({ version: 1, aliases: ['production', 'staging'] });

    const bad = await cli(['models', 'promote', 'credit@7', '--alias', 'production'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/model 'credit' has no version 7/);
    expect((await cli(['models', 'promote', 'credit', '--alias', 'production'], { cwd })).stderr).toMatch(/promote needs NAME@VERSION/);
    expect((await cli(['models', 'show', 'ghost'], { cwd })).stderr).toMatch(/model 'ghost' not found in project 'default'/);

    const key = await cli(['keys', 'create', '--project', 'default', '--role', 'predictor', '--json'], { cwd });
    const k = JSON.parse(key.stdout) as { id: number; key: string; role: string };
    expect(k).toMatchObject({ role: 'predictor', key: expect.stringMatching(/^lep_/) });
    const keys = await cli(['keys', 'list', '--project', 'default'], { cwd });
    expect(keys.stdout).toMatch(new RegExp(`${k.id}\\s+cli\\s+predictor\\s+${k.key.slice(0, 8)}`));
    expect(keys.stdout).not.toContain(k.key);
    expect((await cli(['keys', 'revoke', String(k.id), '--project', 'default'], { cwd })).stdout).toMatch(/revoked key/);
    expect((await cli(['keys', 'create', '--project', 'default', '--role', 'root'], { cwd })).stderr).toMatch(/unknown role 'root'/);
  });
});

/**
 * The kill -9 drill both kinds of study share: start `lepton ARGS` in its own process, wait
 * until two trials of `study` have finished and a third is running, SIGKILL the process, then
 * run the same command again to its end.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { openHome } from '../../src/registry/open.js';
import type { TrialRecord } from '../../src/registry/registry.js';
import { ROOT } from '../helpers.js';

export async function killMidStudyAndRerun(args: string[], home: string, study: string): Promise<{ victim: TrialRecord; again: { code: number | null; stderr: string } }> {
  const main = join(ROOT, 'dist', 'src', 'cli', 'main.js');
  const env = { ...process.env, LEPTON_HOME: home, LEPTON_DEBUG: '' };
  const child = spawn(process.execPath, [main, ...args], { env, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  const watch = await openHome({ dir: home });
  let victim: TrialRecord | undefined;
  try {
    for (let i = 0; i < 2400 && !victim; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const s = (await watch.registry.findProject('default')) && (await watch.registry.listStudies('default')).find((x) => x.name === study);
      if (!s) continue;
      const ts = await watch.registry.listTrials(s.id);
      if (ts.filter((t) => t.state === 'complete' || t.state === 'pruned' || t.state === 'failed').length >= 2) victim = ts.find((t) => t.state === 'running');
    }
    expect(victim, 'a trial was running after two had finished').toBeDefined();
    child.kill('SIGKILL');
    await exited;
  } finally {
    await watch.close();
  }
  const again = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [main, ...args], { env });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stderr }));
  });
  return { victim: victim!, again };
}

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CREDIT = join(ROOT, 'data', 'credit-g.arff');
export const CANCER = join(ROOT, 'data', 'breast-cancer-wisconsin.csv');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

for (const f of [CREDIT, CANCER]) {
  if (!existsSync(f)) throw new Error(`test data ${f} is missing: it ships in data/ (restore it from ../shared/datasets/)`);
}

/** AutoML on small budgets (trials per family, epochs, rounds, trees, one thread): each run takes seconds. */
export const AUTOML_SMALL = {
  trials: 3,
  params: { logistic: { epochs: 30 }, mlp: { epochs: 20, hidden: [32] }, xgboost: { rounds: 60 }, forest: { trees: 50 } },
  torchThreads: 1,
  xgbThreads: 1,
};

/** The process's thread count (Linux): an OpenMP team left behind on some thread shows here. */
export function processThreads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lepton-test-'));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (`make test` builds it first). */
export function cli(args: string[], opts: { cwd?: string; stdin?: string } = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run \`make test\` (it builds first)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, LEPTON_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Two-feature synthetic classification data (label = x0 + x1 > 0), seeded. */
export function blobs(n: number, d: number, seed = 1): { x: Float32Array; y: Int32Array } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const x = new Float32Array(n * d).map(() => rand());
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * d]! + x[i * d + 1]! > 0 ? 1 : 0));
  return { x, y };
}

/** A user-facing failure: non-zero exit, a message matching `pattern`, a fix, no stack trace. */
export function expectCleanError(r: CliResult, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).toMatch(/fix: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

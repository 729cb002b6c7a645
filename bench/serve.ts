/**
 * Serving benchmark: the credit-g MLP behind `lepton serve` beside the same network behind
 * FastAPI + uvicorn + PyTorch, single-row requests from the same load generator (wrk, a C
 * program, so that the generator takes little of the two cores the servers share) at
 * concurrency 1, 16 and 64 on loopback; then Lepton with micro-batching on vs off at 64.
 * Each cell is measured three times after a warm-up; the median run is reported.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../src/data/readers/index.js';
import { textTable } from '../src/eval/format.js';
import { encodeModel, FORMAT_VERSION, saveModel } from '../src/models/artifact.js';
import { packageRoot } from '../src/package-root.js';
import { openHome } from '../src/registry/open.js';
import { train } from '../src/train/train.js';

const root = packageRoot();
const actor = { keyId: null, name: 'bench' };

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function started(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const on = (d: Buffer) => {
      text += d.toString();
      const m = pattern.exec(text);
      if (m) resolve(m[1] ?? '');
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.on('exit', (c) => reject(new Error(`exited ${c}: ${text}`)));
  });
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

const run = promisify(execFile);

/** wrk's "50% 1.23ms" → milliseconds. */
function ms(text: string, pct: string): number {
  const m = new RegExp(`\\s${pct}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

async function load(url: string, body: string, connections: number, headers: Record<string, string>, seconds: number, dir: string): Promise<Load> {
  const script = join(dir, `post-${connections}.lua`);
  const lines = ['wrk.method = "POST"', `wrk.body = ${JSON.stringify(body)}`, 'wrk.headers["content-type"] = "application/json"'];
  for (const [k, v] of Object.entries(headers)) lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  // Count non-2xx answers so that a fast stream of errors is not mistaken for throughput.
  lines.push('bad = 0', 'response = function(status) if status >= 300 then bad = bad + 1 end end', 'done = function() io.write("non2xx " .. bad .. "\\n") end');
  writeFileSync(script, lines.join('\n'));
  const wrk = (secs: number) => run('wrk', ['-t', connections > 1 ? '2' : '1', '-c', String(connections), '-d', `${secs}s`, '--latency', '-s', script, url], { maxBuffer: 1 << 20 });
  await wrk(2); // warm-up: JIT, allocator, model load
  const runs: Load[] = [];
  for (let i = 0; i < 3; i++) {
    const { stdout } = await wrk(seconds);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
    const errors = Number(/non2xx (\d+)/.exec(stdout)?.[1] ?? 0) + Number(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)?.slice(1).reduce((s, v) => s + Number(v), 0) ?? 0);
    runs.push({ rps, p50: ms(stdout, '50'), p99: ms(stdout, '99'), errors });
  }
  runs.sort((a, b) => a.rps - b.rps);
  return { ...runs[1]!, errors: runs.reduce((s, r) => s + r.errors, 0) };
}

export async function serveBench(seconds = 5): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'lepton-bench-'));
  const { model } = await train(join(root, 'data', 'credit-g.arff'), { target: 'class', model: 'mlp' });
  const file = join(dir, 'credit-mlp.lepton');
  await saveModel(model, file);
  const home = await openHome({ dir: join(dir, 'home') });
  const artifact = await home.artifacts.put(encodeModel(model));
  model.dispose();
  await home.registry.registerModelVersion('bench', { name: 'credit', artifact, formatVersion: FORMAT_VERSION, task: 'classification' }, actor);
  await home.registry.setAlias('bench', 'credit', 'production', 1, actor);
  const key = (await home.registry.createKey('bench', 'predictor', 'bench', actor)).key;
  await home.close();

  const t = await readTable(join(root, 'data', 'credit-g.arff'));
  const row = Object.fromEntries(t.columnNames.filter((c) => c !== 'class').map((c) => [c, t.cell(c, 0)]));
  const body = JSON.stringify({ row });
  const lepton = (maxBatch: number) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'serve', '--port', '0', '-q', '--rate-limit', '0', '--max-batch', String(maxBatch)], { env: { ...process.env, LEPTON_HOME: join(dir, 'home') } });
    return { child, url: started(child, /listening on (http:\/\/\S+)/) };
  };
  const python = process.env.PEER_PYTHON ?? '/usr/bin/python3';
  const port = 20000 + Math.floor(Math.random() * 20000);
  const peer = spawn(python, [join(root, 'bench', 'peers', 'serve_fastapi.py'), file, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const peerUrl = `http://127.0.0.1:${port}/predict`;
  const results: Record<string, { lepton: Load; peer: Load }> = {};
  let batchOff: Load | undefined;
  try {
    const on = lepton(64);
    const leptonUrl = `${await on.url}/v1/projects/bench/models/credit/predict`;
    await waitHttp(peerUrl);
    for (const c of [1, 16, 64]) {
      results[c] = { lepton: await load(leptonUrl, body, c, { authorization: `Bearer ${key}` }, seconds, dir), peer: await load(peerUrl, body, c, {}, seconds, dir) };
    }
    on.child.kill('SIGTERM');
    const off = lepton(1);
    batchOff = await load(`${await off.url}/v1/projects/bench/models/credit/predict`, body, 64, { authorization: `Bearer ${key}` }, seconds, dir);
    off.child.kill('SIGTERM');
  } finally {
    peer.kill('SIGTERM');
  }
  console.log(`\nServing the credit-g MLP, single-row requests, median of 3 × ${seconds} s per cell (wrk, loopback)`);
  const rows = [['concurrency', 'Lepton req/s', 'p50 ms', 'p99 ms', 'FastAPI req/s', 'p50 ms', 'p99 ms', 'throughput ratio']];
  for (const [c, r] of Object.entries(results)) {
    rows.push([c, r.lepton.rps.toFixed(0), r.lepton.p50.toFixed(2), r.lepton.p99.toFixed(2), r.peer.rps.toFixed(0), r.peer.p50.toFixed(2), r.peer.p99.toFixed(2), (r.lepton.rps / r.peer.rps).toFixed(2)]);
  }
  console.log(textTable(rows));
  const on64 = results[64]!.lepton;
  console.log(`Micro-batching at concurrency 64: on ${on64.rps.toFixed(0)} req/s (p99 ${on64.p99} ms), off ${batchOff!.rps.toFixed(0)} req/s (p99 ${batchOff!.p99} ms): ${(on64.rps / batchOff!.rps).toFixed(2)}×`);
  const errors = Object.values(results).reduce((s, r) => s + r.lepton.errors + r.peer.errors, batchOff!.errors);
  if (errors > 0) console.log(`warning: ${errors} failed requests`);
  return { perConcurrency: results, batchingOff64: batchOff };
}

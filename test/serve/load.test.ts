import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonClient } from '../../src/client/client.js';
import type { Home } from '../../src/registry/open.js';
import { startServer, type ServerHandle } from '../../src/serve/server.js';
import { ROOT } from '../helpers.js';
import { creditRows, fixture } from './fixture.js';

const SECONDS = 60;
const RATE = 200; // requests per second, steady

let home: Home;
let server: ServerHandle;
let keys: Awaited<ReturnType<typeof fixture>>['keys'];

beforeAll(async () => {
  ({ home, keys } = await fixture());
  server = await startServer({ home, port: 0 });
});
afterAll(async () => {
  await server.close();
  await home.close();
});

interface AutocannonResult {
  requests: { total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p99: number };
}

describe('serve: steady load with a hot swap in the middle', () => {
  it(`serves ${SECONDS} s at ${RATE} req/s with zero failed requests and flat memory while production moves from v1 to v2`, async () => {
    const [row] = await creditRows(1);
    const body = JSON.stringify({ row });
    // The load generator is its own process so it does not share this event loop or heap.
    const loader = spawn(process.execPath, [
      join(ROOT, 'node_modules', 'autocannon', 'autocannon.js'),
      '--json', '-c', '8', '-d', String(SECONDS), '-R', String(RATE), '-m', 'POST',
      '-H', `authorization=Bearer ${keys.predictor}`, '-H', 'content-type=application/json', '-b', body,
      `${server.url}/v1/projects/acme/models/credit/predict`,
    ]);
    let out = '';
    loader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 2000);
    const admin = new LeptonClient({ baseUrl: server.url, apiKey: keys.admin });
    const swap = setTimeout(() => void admin.setAlias('acme', 'credit', 'production', 2), (SECONDS / 2) * 1000);
    const code = await new Promise<number | null>((r) => loader.on('close', r));
    clearInterval(sampler);
    clearTimeout(swap);
    expect(code).toBe(0);
    const result = JSON.parse(out) as AutocannonResult;
    expect(result.requests.total).toBeGreaterThan(SECONDS * RATE * 0.9);
    expect(result.non2xx).toBe(0);
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    const after = await admin.withKey(keys.predictor).predict('acme', 'credit', row!);
    expect(after.model.version).toBe(2);
    // Flat memory: after warm-up, resident memory stays within a band (no growth per request).
    const steady = rss.slice(5);
    const mb = (Math.max(...steady) - Math.min(...steady)) / 2 ** 20;
    expect(mb).toBeLessThan(64);
  }, (SECONDS + 60) * 1000);
});

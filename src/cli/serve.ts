import type { Command } from 'commander';
import { startServer } from '../serve/server.js';
import { action, parseIntOption } from './output.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the registry and its models over HTTP (REST + OpenAPI at /docs, Prometheus at /metrics)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'port', parseIntOption('--port'), 8080)
    .option('--max-batch <rows>', 'largest micro-batch of rows per engine call (1 = no batching)', parseIntOption('--max-batch'), 64)
    .option('--max-wait-ms <ms>', 'longest a prediction waits for a batch to fill', parseIntOption('--max-wait-ms'), 2)
    .option('--max-request-rows <rows>', 'largest number of rows in one predict request', parseIntOption('--max-request-rows'), 1024)
    .option('--body-limit <bytes>', 'largest JSON request body', parseIntOption('--body-limit'), 1 << 20)
    .option('--rate-limit <n>', 'requests per minute per API key (0 = off)', parseIntOption('--rate-limit'), 60_000)
    .option('-q, --quiet', 'no request logs')
    .addHelpText(
      'after',
      `
The registry is .lepton/ in the current folder (LEPTON_HOME to move it, LEPTON_REGISTRY_URL=postgres://… for PostgreSQL).

Example:
  $ lepton keys create --project demo --role admin      # prints the key once
  $ lepton serve --port 8080
  $ curl -H "Authorization: Bearer $KEY" localhost:8080/v1/projects/demo/models`,
    )
    .action(
      action(async (f: { host: string; port: number; maxBatch: number; maxWaitMs: number; maxRequestRows: number; bodyLimit: number; rateLimit: number; quiet?: boolean }) => {
        const server = await startServer({
          host: f.host,
          port: f.port,
          maxBatchRows: Math.max(1, f.maxBatch),
          maxWaitMs: f.maxWaitMs,
          maxRequestRows: f.maxRequestRows,
          bodyLimit: f.bodyLimit,
          rateLimit: f.rateLimit,
          logger: f.quiet ? false : { level: 'info' },
        });
        process.stderr.write(`lepton serve: listening on ${server.url} (API docs at ${server.url}/docs)\n`);
        const stop = (signal: string) => {
          process.stderr.write(`lepton serve: ${signal}, finishing in-flight requests\n`);
          void server.close().then(() => process.exit(0));
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      }),
    );
}

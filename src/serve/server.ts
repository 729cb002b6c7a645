/**
 * Starts `lepton serve`: opens the registry, marks runs orphaned by a previous crash as
 * failed, sweeps half-written temporaries, listens, and on SIGINT/SIGTERM stops accepting,
 * finishes in-flight requests, cancels and records running jobs, then exits.
 * @module
 */
import { hostname } from 'node:os';
import { openHome, type Home } from '../registry/open.js';
import { buildApp, type ServeOptions } from './app.js';

export interface ServerHandle {
  url: string;
  close(): Promise<void>;
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return false; // a run owned by this pid is from a previous life of it
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Recovery after a crash: orphaned runs become failed; stray temporaries go. */
export async function recover(home: Home): Promise<{ failedRuns: number[]; sweptFiles: number }> {
  const failedRuns = await home.registry.failOrphanedRuns(hostname(), pidAlive);
  const sweptFiles = await home.artifacts.sweepTemporaries();
  return { failedRuns, sweptFiles };
}

export async function startServer(opts: ServeOptions & { host?: string; port?: number; home?: Home }): Promise<ServerHandle> {
  const home = opts.home ?? (await openHome());
  const recovered = await recover(home);
  const app = await buildApp(home, opts);
  if (recovered.failedRuns.length) app.log.warn({ runs: recovered.failedRuns }, 'marked runs interrupted by a previous stop as failed');
  const url = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      if (!opts.home) await home.close();
    })());
  return { url, close };
}

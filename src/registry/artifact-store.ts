/**
 * Content-addressed artifact store on disk: a file is named by the SHA-256 of its bytes,
 * written to a temporary name, flushed and renamed, so a crash never leaves a half-written
 * artifact under a real name and identical artifacts are stored once.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LeptonError } from '../errors.js';

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Writes to a temporary name in the same folder, flushes, then renames into place. */
export async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export class ArtifactStore {
  constructor(readonly dir: string) {}

  path(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new LeptonError('E_REGISTRY', `invalid artifact id '${hash}'`);
    return join(this.dir, 'sha256', hash.slice(0, 2), hash);
  }

  has(hash: string): boolean {
    return existsSync(this.path(hash));
  }

  async put(bytes: Uint8Array): Promise<string> {
    const hash = sha256(bytes);
    const final = this.path(hash);
    if (!existsSync(final)) await writeAtomic(final, bytes);
    return hash;
  }

  /** Removes temporary files a killed process left behind (never a finished artifact). */
  async sweepTemporaries(): Promise<number> {
    const root = join(this.dir, 'sha256');
    if (!existsSync(root)) return 0;
    let n = 0;
    for (const sub of await readdir(root)) {
      for (const f of await readdir(join(root, sub))) {
        if (f.endsWith('.tmp')) {
          await rm(join(root, sub, f), { force: true });
          n++;
        }
      }
    }
    return n;
  }

  async get(hash: string): Promise<Buffer> {
    try {
      return await readFile(this.path(hash));
    } catch {
      throw new LeptonError('E_REGISTRY', `artifact ${hash.slice(0, 12)}… is missing from ${this.dir}`, 'restore the artifact folder from backup, or register the model again');
    }
  }
}

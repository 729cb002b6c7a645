/**
 * Content-addressed artifact store on disk: a file is named by the SHA-256 of its bytes,
 * written to a temporary name, flushed and renamed, so a crash never leaves a half-written
 * artifact under a real name and identical artifacts are stored once.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LeptonError } from '../errors.js';

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Fills a temporary file in the same folder with `fill`, flushes it, then renames it into
 * place: readers see the old file or the whole new one, never part of it.
 */
async function intoPlace(path: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fill(tmp);
    const fh = await open(tmp, 'r+');
    try {
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

/** Writes bytes atomically (see intoPlace). */
export const writeAtomic = (path: string, bytes: Uint8Array): Promise<void> => intoPlace(path, (tmp) => writeFile(tmp, bytes));

/** Copies a file into place atomically (see intoPlace). */
export const copyAtomic = (from: string, path: string): Promise<void> => intoPlace(path, (tmp) => copyFile(from, tmp));

/** SHA-256 of a file, read as a stream (large datasets are never held whole for hashing). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
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

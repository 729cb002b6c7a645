/**
 * Content-addressed artifact store on disk: a file is named by the SHA-256 of its bytes,
 * written to a temporary name, flushed and renamed, so a crash never leaves a half-written
 * artifact under a real name and identical artifacts are stored once.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LeptonError } from '../errors.js';

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
    const hash = createHash('sha256').update(bytes).digest('hex');
    const final = this.path(hash);
    if (existsSync(final)) return hash;
    await mkdir(join(this.dir, 'sha256', hash.slice(0, 2)), { recursive: true });
    const tmp = `${final}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return hash;
  }

  async get(hash: string): Promise<Buffer> {
    try {
      return await readFile(this.path(hash));
    } catch {
      throw new LeptonError('E_REGISTRY', `artifact ${hash.slice(0, 12)}… is missing from ${this.dir}`, 'restore the artifact folder from backup, or register the model again');
    }
  }
}

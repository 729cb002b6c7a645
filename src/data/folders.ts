/**
 * A folder as a data source: class sub-folders of images or of text documents, or a folder of
 * IDX files (Fashion-MNIST). One entry point so `data add` and `data inspect` accept a folder
 * wherever they accept a file.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LeptonError } from '../errors.js';
import { IMAGE_EXTENSIONS, imagesFromIdx, readImageFolder, type ImageFolderOptions, type ImageSet } from './images.js';
import type { RawTable } from './infer.js';
import type { TextEncoding } from './readers/encoding.js';
import { readIdx } from './readers/idx.js';
import { folderKind, readTextFolder } from './readers/text-folder.js';

export type FolderData = { kind: 'images'; set: ImageSet; describe: string } | { kind: 'texts'; raw: RawTable; describe: string };

export interface FolderOptions extends ImageFolderOptions {
  encoding?: TextEncoding;
  /** IDX folders: which split (file prefix), default `train`. */
  split?: string;
}

function idxFile(dir: string, name: string): string | undefined {
  return [join(dir, `${name}.gz`), join(dir, name)].find((p) => existsSync(p));
}

export async function readFolder(dir: string, opts: FolderOptions = {}): Promise<FolderData> {
  const split = opts.split ?? 'train';
  const images = idxFile(dir, `${split}-images-idx3-ubyte`);
  if (images) {
    const labels = idxFile(dir, `${split}-labels-idx1-ubyte`);
    if (!labels) throw new LeptonError('E_FILE', `${dir} has ${split} images but no ${split}-labels-idx1-ubyte(.gz)`, 'put the labels file beside the images file');
    const set = imagesFromIdx(await readIdx(images), await readIdx(labels));
    return { kind: 'images', set, describe: `IDX ${split} split: ${set.n} images ${set.height}×${set.width}, ${set.classes.length} classes` };
  }
  const kind = await folderKind(dir, IMAGE_EXTENSIONS);
  if (kind === 'images') {
    const set = await readImageFolder(dir, opts);
    return { kind, set, describe: `${set.n} images ${set.height}×${set.width}×${set.channels}, ${set.classes.length} classes${set.resized ? `, ${set.resized} resized` : ''}` };
  }
  if (kind === 'texts') {
    const raw = await readTextFolder(dir, opts.encoding);
    return { kind, raw, describe: `${raw.cells[0]!.length} documents, ${new Set(raw.cells[1]).size} classes` };
  }
  throw new LeptonError('E_PARSE', `${dir} holds neither class folders of images or .txt documents nor IDX files`, 'give a folder with one sub-folder per class (images or .txt files), or Fashion-MNIST\'s IDX files');
}

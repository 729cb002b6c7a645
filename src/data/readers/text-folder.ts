/**
 * Text folders: one sub-folder per class holding one document per `.txt` file (support
 * tickets exported per category, the layout of IMDB / 20 Newsgroups), read into a table with a
 * `text` column and a `label` column.
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { LeptonError } from '../../errors.js';
import type { RawCell, RawTable } from '../infer.js';
import type { ColumnSchema } from '../table.js';
import { decodeText, type TextEncoding } from './encoding.js';

export const TEXT_EXTENSIONS = ['.txt', '.text', '.md'];

export async function readTextFolder(dir: string, encoding?: TextEncoding): Promise<RawTable> {
  let classes: string[];
  try {
    classes = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch {
    throw new LeptonError('E_FILE', `folder not found: '${dir}'`, 'check the path');
  }
  if (classes.length === 0) throw new LeptonError('E_PARSE', `${dir} has no class sub-folders`, 'put the documents of each class in their own sub-folder, e.g. tickets/billing/*.txt');
  const texts: RawCell[] = [];
  const labels: RawCell[] = [];
  for (const cls of classes) {
    const files = (await readdir(join(dir, cls), { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
    const odd = files.find((f) => !TEXT_EXTENSIONS.includes(extname(f).toLowerCase()));
    if (odd) throw new LeptonError('E_PARSE', `${join(dir, cls, odd)} is not a text file`, `keep only ${TEXT_EXTENSIONS.join(' ')} files in the class folders`);
    for (const f of files) {
      const path = join(dir, cls, f);
      const bytes = await readFile(path);
      // An empty document is a missing text, not a broken dataset.
      texts.push(bytes.length ? decodeText(bytes, path, encoding).trim() : null);
      labels.push(cls);
    }
  }
  if (texts.length === 0) throw new LeptonError('E_PARSE', `${dir} holds no ${TEXT_EXTENSIONS.join('/')} files`, 'put one document per file in the class folders');
  const declared = new Map<string, ColumnSchema>([
    ['text', { name: 'text', type: 'text' }],
    ['label', { name: 'label', type: 'categorical', categories: classes }],
  ]);
  return { names: ['text', 'label'], cells: [texts, labels], source: dir, declared };
}

/** What a folder holds: class folders of images, of text documents, or neither (null). */
export async function folderKind(dir: string, imageExtensions: readonly string[]): Promise<'images' | 'texts' | null> {
  for (const sub of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'))) {
    for (const f of await readdir(join(dir, sub.name))) {
      const ext = extname(f).toLowerCase();
      if (imageExtensions.includes(ext)) return 'images';
      if (TEXT_EXTENSIONS.includes(ext)) return 'texts';
    }
  }
  return null;
}

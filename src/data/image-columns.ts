/**
 * Image columns of table rows (file paths, data URIs or base64 image files: src/data/infer.ts's
 * isImageColumn), decoded ahead of the pipeline. sharp decodes asynchronously and
 * Pipeline.transform is synchronous, so `decodeImageColumns` runs where rows enter (trainMixed,
 * LeptonModel.rowFeatures: predict, evaluate, the serve route) and keeps the pixels beside the
 * column, one image per distinct value; the pipeline's `image` steps read them with `imagePixels`.
 * The store is keyed by the column's dictionary, which `Table.take` and `drop` share, so a split
 * or a subset of the rows reads what the whole table decoded.
 * @example
 *   const shapes = await decodeImageColumns(table, ['photo']);   // training: the common shape
 *   await decodeImageColumns(rows, ['photo'], { shapes });         // prediction: the model's shape
 * @module
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { LeptonError } from '../errors.js';
import { commonShape, decodeImages } from './images.js';
import { isDict, type Column, type DictColumn, type Table } from './table.js';

export interface ImageShape {
  channels: 1 | 3;
  height: number;
  width: number;
}

export interface DecodeImageColumnsOptions {
  /** The shape per column (a model's); without it each column's common shape is chosen (most common size, grey when every image is). */
  shapes?: Readonly<Record<string, ImageShape>>;
  /** Training: decode to this [height, width] instead of the most common size. */
  size?: [number, number];
  /** Training: 1 (grey) or 3 (RGB) instead of grey-when-every-image-is. */
  channels?: 1 | 3;
  /** false: file paths are refused (rows sent over HTTP carry their images as base64 or data URIs). Default true. */
  paths?: boolean;
}

interface Decoded {
  pixels: Uint8Array;
  /** 1 where the dictionary entry's image is in `pixels`. */
  have: Uint8Array;
}

const store = new WeakMap<readonly string[], Map<string, Decoded>>();
const keyOf = (s: ImageShape) => `${s.channels}x${s.height}x${s.width}`;

/** A cell's image: the bytes of a data URI or base64 file, else a path (relative to the table file's folder). */
function imageData(value: string, base: string, paths: boolean, at: () => string): string | Uint8Array {
  const v = value.trim();
  const uri = /^data:image\/[a-z0-9.+-]+;base64,/i.exec(v);
  if (uri) return Buffer.from(v.slice(uri[0].length), 'base64');
  if (/^[A-Za-z0-9+/\r\n]{64,}=*$/.test(v)) return Buffer.from(v, 'base64');
  if (!paths) throw new LeptonError('E_VALUE', `${at()}: '${short(v)}' is a file path; rows sent over HTTP carry their images as base64`, 'send the image file base64-encoded (or as a data:image/...;base64, URI)');
  return isAbsolute(v) ? v : resolve(base, v);
}

const short = (v: string) => (v.length > 60 ? `${v.slice(0, 40)}…` : v);

/**
 * Decodes the images of `columns` (each distinct value once) and returns the shape of each.
 * A file that is missing or will not decode is an error naming its row and file; images of
 * another size are resized (cover) to the shape, as the CNN path does.
 */
export async function decodeImageColumns(table: Table, columns: readonly string[], opts: DecodeImageColumnsOptions = {}): Promise<Record<string, ImageShape>> {
  const base = table.source ? dirname(resolve(table.source)) : process.cwd();
  const shapes: Record<string, ImageShape> = {};
  for (const name of columns) {
    const col = dictColumn(table.column(name));
    const firstRow = new Int32Array(col.dictionary.length).fill(-1);
    col.codes.forEach((c, r) => c >= 0 && firstRow[c]! < 0 && (firstRow[c] = r));
    const inputs: { code: number; name: string; data: string | Uint8Array }[] = [];
    firstRow.forEach((r, code) => {
      if (r < 0) return;
      const at = () => `${table.where(r)}, column '${name}'`;
      const value = col.dictionary[code]!;
      inputs.push({ code, name: `${short(value)} (${at()})`, data: imageData(value, base, opts.paths ?? true, at) });
    });
    const shape = opts.shapes?.[name] ?? (await commonShape(inputs, { size: opts.size, channels: opts.channels }));
    const wanted = { channels: shape.channels, height: shape.height, width: shape.width };
    shapes[name] = wanted;
    let byShape = store.get(col.dictionary);
    if (!byShape) store.set(col.dictionary, (byShape = new Map()));
    const per = wanted.channels * wanted.height * wanted.width;
    let d = byShape.get(keyOf(wanted));
    if (!d || d.have.length !== col.dictionary.length) byShape.set(keyOf(wanted), (d = { pixels: new Uint8Array(col.dictionary.length * per), have: new Uint8Array(col.dictionary.length) }));
    const todo = inputs.filter((i) => !d.have[i.code]);
    const set = await decodeImages(todo, wanted);
    todo.forEach((i, k) => {
      d.pixels.set(set.pixels.subarray(k * per, (k + 1) * per), i.code * per);
      d.have[i.code] = 1;
    });
  }
  return shapes;
}

/**
 * The decoded pixels of an image column (dictionary.length × height × width × channels bytes,
 * by dictionary code) for the rows at `codes`; an error when decodeImageColumns did not run.
 */
export function imagePixels(col: Column, shape: ImageShape, codes: Iterable<number>): Uint8Array {
  const c = dictColumn(col);
  const d = store.get(c.dictionary)?.get(keyOf(shape));
  for (const code of codes) {
    if (code >= 0 && !d?.have[code]) {
      throw new LeptonError('E_VALUE', `the images of column '${c.name}' were not decoded before the pipeline read them`, 'call `await model.rowFeatures(table)` (or decodeImageColumns) first; LeptonModel.predict and evaluate do');
    }
  }
  return d?.pixels ?? new Uint8Array(0);
}

function dictColumn(col: Column): DictColumn {
  if (!isDict(col)) throw new LeptonError('E_VALUE', `column '${col.name}' holds ${col.type} values, not image files`, 'give image file paths or base64 images in it');
  return col;
}

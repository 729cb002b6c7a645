/**
 * IDX reader (the MNIST / Fashion-MNIST format, optionally gzip-compressed): a big-endian header
 * with the element type and dimensions, then the elements. Images stay a typed array
 * (n × rows × cols); `idxToTable` flattens them into pixel columns for tabular use.
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LeptonError } from '../../errors.js';
import { Table, type Column } from '../table.js';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  shape: number[];
  data: IdxData;
}

const TYPES: Record<number, { name: string; bytes: number; read: (v: DataView, o: number) => number; make: (n: number) => IdxData }> = {
  0x08: { name: 'ubyte', bytes: 1, read: (v, o) => v.getUint8(o), make: (n) => new Uint8Array(n) },
  0x09: { name: 'byte', bytes: 1, read: (v, o) => v.getInt8(o), make: (n) => new Int8Array(n) },
  0x0b: { name: 'short', bytes: 2, read: (v, o) => v.getInt16(o), make: (n) => new Int16Array(n) },
  0x0c: { name: 'int', bytes: 4, read: (v, o) => v.getInt32(o), make: (n) => new Int32Array(n) },
  0x0d: { name: 'float', bytes: 4, read: (v, o) => v.getFloat32(o), make: (n) => new Float32Array(n) },
  0x0e: { name: 'double', bytes: 8, read: (v, o) => v.getFloat64(o), make: (n) => new Float64Array(n) },
};

export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const bad = (why: string) => new LeptonError('E_PARSE', `${source} is not a valid IDX file (${why})`, 'give an IDX file such as train-images-idx3-ubyte.gz');
  let buf = bytes;
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw bad(`broken gzip data: ${(e as Error).message}`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw bad('no IDX magic number');
  const type = TYPES[buf[2]!];
  if (!type) throw bad(`unknown element type 0x${buf[2]!.toString(16)}`);
  const ndim = buf[3]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (ndim === 0 || buf.length < 4 + 4 * ndim) throw bad('truncated header');
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (buf.length < start + count * type.bytes) throw bad(`truncated: the header promises ${count} ${type.name} values, the file holds ${Math.floor((buf.length - start) / type.bytes)}`);
  let data: IdxData;
  if (type.bytes === 1) data = type.name === 'ubyte' ? buf.slice(start, start + count) : new Int8Array(buf.slice(start, start + count).buffer);
  else {
    data = type.make(count);
    for (let i = 0; i < count; i++) data[i] = type.read(view, start + i * type.bytes);
  }
  return { shape, data };
}

export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new LeptonError('E_FILE', `file not found: '${path}'`, 'check the path');
  }
  return parseIdx(bytes, path);
}

/** Images (n × h × w) and labels (n) as a table of pixel columns p0…p{h·w-1} and `label`. */
export function idxToTable(images: IdxArray, labels: IdxArray, source?: string): Table {
  const [n, ...dims] = images.shape;
  if (labels.shape[0] !== n) throw new LeptonError('E_PARSE', `${n} images but ${labels.shape[0]} labels`, 'give the images and labels files of the same split');
  const px = dims.reduce((a, b) => a * b, 1);
  const columns: Column[] = [];
  for (let p = 0; p < px; p++) {
    const values = new Float64Array(n!);
    for (let i = 0; i < n!; i++) values[i] = images.data[i * px + p]!;
    columns.push({ name: `p${p}`, type: 'numeric', values });
  }
  const classes = [...new Set(Array.from(labels.data))].sort((a, b) => a - b);
  const index = new Map(classes.map((c, i) => [c, i]));
  columns.push({ name: 'label', type: 'categorical', dictionary: classes.map(String), codes: Int32Array.from(labels.data, (v) => index.get(v)!) });
  return new Table(columns, n!, { source });
}

/**
 * Where Fashion-MNIST is: a folder the user gives, Debian's `dataset-fashion-mnist` package, or
 * the shared datasets folder beside the checkout.
 */
export function locateFashionMnist(given?: string): string {
  const candidates = [given, process.env.LEPTON_FASHION_MNIST, '/usr/share/datasets/fashion-mnist', resolve('..', 'shared', 'datasets', 'fashion-mnist'), resolve('shared', 'datasets', 'fashion-mnist')].filter((c): c is string => Boolean(c));
  const found = candidates.find((d) => existsSync(join(d, 'train-images-idx3-ubyte.gz')) || existsSync(join(d, 'train-images-idx3-ubyte')));
  if (!found) throw new LeptonError('E_FILE', `Fashion-MNIST not found (looked in ${candidates.join(', ')})`, 'install Debian\'s dataset-fashion-mnist or pass the folder that holds train-images-idx3-ubyte.gz');
  return found;
}

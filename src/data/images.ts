/**
 * Image datasets: a folder with one sub-folder per class (the layout every image tool exports),
 * decoded by sharp (libvips) into one uint8 tensor of n × height × width × channels, or
 * Fashion-MNIST's IDX files. Stored in the dataset registry as a single safetensors file, so
 * a version is one content hash like any table; `imageTable` gives the per-image facts
 * (label, size, brightness) that `inspect` reports on.
 * @example
 *   const set = await readImageFolder('scans/', { size: [64, 64], channels: 1 });
 *   set.pixels.length === set.n * 64 * 64;
 * @module
 */
import { readdir } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import sharp from 'sharp';
import { decodeSafetensors, encodeSafetensors, type StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import type { IdxArray } from './readers/idx.js';
import { Table } from './table.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.bmp'];

export interface ImageSet {
  n: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** n × height × width × channels, row-major, 0–255. */
  pixels: Uint8Array;
  /** Index into `classes` per image. */
  labels: Int32Array;
  classes: string[];
  /** Path of each image relative to the folder (or `idx:N`). */
  files: string[];
  /** How many images were resized to the common size. */
  resized: number;
}

export interface ImageFolderOptions {
  /** [height, width]; default: the most common size in the folder. */
  size?: [number, number];
  /** 1 (grey) or 3 (RGB); default: 1 when every image is grey, else 3. */
  channels?: 1 | 3;
  onProgress?: (done: number, total: number) => void;
}

interface Found {
  file: string;
  label: number;
}

/** The image files of `dir/<class>/`, classes sorted by name. Other files are an error, named. */
async function listImages(dir: string): Promise<{ classes: string[]; found: Found[] }> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    throw new LeptonError('E_FILE', `folder not found: '${dir}'`, 'check the path');
  }
  const classes = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  if (classes.length === 0) throw new LeptonError('E_PARSE', `${dir} has no class sub-folders`, 'put the images of each class in their own sub-folder, e.g. scans/normal/*.png and scans/pneumonia/*.png');
  const found: Found[] = [];
  for (const [label, cls] of classes.entries()) {
    const files = (await readdir(join(dir, cls), { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
    const odd = files.filter((f) => !IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()));
    if (odd.length) throw new LeptonError('E_PARSE', `${join(dir, cls, odd[0]!)} is not an image file (${odd.length} such file${odd.length > 1 ? 's' : ''} in ${cls}/)`, `keep only ${IMAGE_EXTENSIONS.join(' ')} files in the class folders`);
    if (files.length === 0) throw new LeptonError('E_PARSE', `class folder ${join(dir, cls)} is empty`, 'remove the folder or add its images');
    for (const f of files) found.push({ file: join(dir, cls, f), label });
  }
  return { classes, found };
}

const cannotDecode = (file: string, e: unknown) =>
  new LeptonError('E_PARSE', `cannot decode image ${file}: ${(e as Error).message.split('\n')[0]}`, 'remove or replace the file (it is truncated, corrupt or not really an image)', { cause: e });

/** Runs `fn` over `items` with at most `limit` in flight (sharp decodes on libuv's pool). */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Decodes every image of a class-per-folder tree to a common size and channel count. */
export async function readImageFolder(dir: string, opts: ImageFolderOptions = {}): Promise<ImageSet> {
  const { classes, found } = await listImages(dir);
  const { height, width, channels, meta } = await commonShape(found.map((f) => ({ name: f.file, data: f.file })), opts);
  const per = height * width * channels;
  const pixels = new Uint8Array(found.length * per);
  let resized = 0;
  let done = 0;
  await mapLimited(found, 8, async (f, i) => {
    const m = meta[i]!;
    if (m.height !== height || m.width !== width) resized++;
    pixels.set(await decodeOne(f.file, f.file, { height, width, channels }), i * per);
    opts.onProgress?.(++done, found.length);
  });
  return { n: found.length, height, width, channels, pixels, labels: Int32Array.from(found, (f) => f.label), classes, files: found.map((f) => relative(dir, f.file)), resized };
}

/**
 * The shape a set of images is decoded to, from their headers only: the most common size (or
 * `opts.size`), grey when every image is grey (or `opts.channels`); with each image's size and colour.
 */
export async function commonShape(inputs: readonly { name: string; data: string | Uint8Array }[], opts: Pick<ImageFolderOptions, 'size' | 'channels'> = {}) {
  const meta = await mapLimited(inputs, 16, async (input) => {
    try {
      const m = await sharp(input.data).metadata();
      return { height: m.height ?? 0, width: m.width ?? 0, grey: m.channels === 1 || (m.channels === 2 && m.hasAlpha === true) || m.space === 'b-w' };
    } catch (e) {
      throw cannotDecode(input.name, e);
    }
  });
  const [height, width] = opts.size ?? mostCommonSize(meta);
  if (!(height > 0 && width > 0 && height <= 4096 && width <= 4096)) throw new LeptonError('E_OPTION', `image size ${height}×${width} is out of range`, 'give --size HxW between 1 and 4096');
  const channels: 1 | 3 = opts.channels ?? (meta.every((m) => m.grey) ? 1 : 3);
  return { height, width, channels, meta };
}

/** One image (a path or its bytes) as height × width × channels bytes, resized (cover) if needed. */
async function decodeOne(input: string | Uint8Array, name: string, shape: { height: number; width: number; channels: 1 | 3 }): Promise<Buffer> {
  const { height, width, channels } = shape;
  let data: Buffer;
  try {
    let img = sharp(input).resize(width, height, { fit: 'cover' });
    img = channels === 1 ? img.grayscale() : img.toColourspace('srgb');
    data = await img.removeAlpha().raw().toBuffer();
  } catch (e) {
    throw cannotDecode(name, e);
  }
  if (data.length !== height * width * channels) throw cannotDecode(name, new Error(`decoded ${data.length} bytes, expected ${height * width * channels}`));
  return data;
}

/**
 * Images to predict on (paths, or bytes such as decoded base64), decoded to a model's input
 * shape. Labels are unknown (0); `files` keeps the names for the output.
 */
export async function decodeImages(inputs: readonly { name: string; data: string | Uint8Array }[], shape: { height: number; width: number; channels: number }): Promise<ImageSet> {
  const channels = shape.channels === 1 ? 1 : 3;
  const per = shape.height * shape.width * channels;
  const pixels = new Uint8Array(inputs.length * per);
  await mapLimited(inputs, 8, async (input, i) => pixels.set(await decodeOne(input.data, input.name, { height: shape.height, width: shape.width, channels }), i * per));
  return { n: inputs.length, height: shape.height, width: shape.width, channels, pixels, labels: new Int32Array(inputs.length), classes: [], files: inputs.map((x) => x.name), resized: 0 };
}

function mostCommonSize(meta: readonly { height: number; width: number }[]): [number, number] {
  const counts = new Map<string, number>();
  for (const m of meta) counts.set(`${m.height}x${m.width}`, (counts.get(`${m.height}x${m.width}`) ?? 0) + 1);
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const [h, w] = best![0].split('x').map(Number);
  return [h!, w!];
}

/** Fashion-MNIST-style IDX images (n × h × w, uint8) and labels as an ImageSet. */
export function imagesFromIdx(images: IdxArray, labels: IdxArray, classNames?: readonly string[]): ImageSet {
  const [n, height, width] = images.shape;
  if (images.shape.length !== 3 || !(images.data instanceof Uint8Array)) throw new LeptonError('E_PARSE', `IDX images must be n × height × width bytes, got shape [${images.shape}]`, 'give an images file such as train-images-idx3-ubyte.gz');
  if (labels.shape[0] !== n) throw new LeptonError('E_PARSE', `${n} images but ${labels.shape[0]} labels`, 'give the images and labels files of the same split');
  const ids = [...new Set(Array.from(labels.data))].sort((a, b) => a - b);
  const index = new Map(ids.map((c, i) => [c, i]));
  return {
    n: n!,
    height: height!,
    width: width!,
    channels: 1,
    pixels: images.data,
    labels: Int32Array.from(labels.data, (v) => index.get(v)!),
    classes: ids.map((c) => classNames?.[c] ?? String(c)),
    files: Array.from({ length: n! }, (_, i) => `idx:${i}`),
    resized: 0,
  };
}

/** One safetensors file: `pixels` (U8, n×h×w×c), `labels` (I32), classes and files in the metadata. */
export function encodeImageSet(set: ImageSet): Buffer {
  const tensors = new Map<string, StTensor>([
    ['pixels', { dtype: 'U8', shape: [set.n, set.height, set.width, set.channels], data: set.pixels }],
    ['labels', { dtype: 'I32', shape: [set.n], data: set.labels }],
  ]);
  return encodeSafetensors(tensors, { lepton: 'images', classes: JSON.stringify(set.classes), files: JSON.stringify(set.files) });
}

export function decodeImageSet(bytes: Uint8Array, source: string): ImageSet {
  const { tensors, metadata } = decodeSafetensors(bytes, source, 'an image dataset');
  const px = tensors.get('pixels');
  const lb = tensors.get('labels');
  if (metadata.lepton !== 'images' || !px || !lb || px.shape.length !== 4) throw new LeptonError('E_PARSE', `${source} is not a Lepton image dataset`, 'add image folders with `lepton data add NAME FOLDER`');
  const [n, height, width, channels] = px.shape as [number, number, number, 1 | 3];
  return { n, height, width, channels, pixels: px.data as Uint8Array, labels: lb.data as Int32Array, classes: JSON.parse(metadata.classes ?? '[]') as string[], files: JSON.parse(metadata.files ?? '[]') as string[], resized: 0 };
}

/**
 * Per-image facts as a table (file, label, mean brightness and contrast), so inspect can
 * report class balance, duplicates and odd images (all-black, washed out) with its usual tools.
 */
export function imageTable(set: ImageSet, source?: string): Table {
  const per = set.height * set.width * set.channels;
  const mean = new Float64Array(set.n);
  const std = new Float64Array(set.n);
  for (let i = 0; i < set.n; i++) {
    let s = 0;
    let s2 = 0;
    for (let p = i * per; p < (i + 1) * per; p++) {
      const v = set.pixels[p]!;
      s += v;
      s2 += v * v;
    }
    mean[i] = s / per;
    std[i] = Math.sqrt(Math.max(0, s2 / per - mean[i]! * mean[i]!));
  }
  return new Table(
    [
      { name: 'file', type: 'text', codes: Int32Array.from(set.files, (_, i) => i), dictionary: set.files },
      { name: 'label', type: 'categorical', codes: set.labels, dictionary: set.classes },
      { name: 'brightness', type: 'numeric', values: mean },
      { name: 'contrast', type: 'numeric', values: std },
    ],
    set.n,
    { source },
  );
}

/**
 * Network input: n × channels × height × width floats in [0, 1]. A conversion of layout and
 * scale, done once per batch of images before the engine sees them.
 */
export function imageFeatures(set: ImageSet): Float32Array {
  const { n, height: h, width: w, channels: c } = set;
  const out = new Float32Array(set.pixels.length);
  if (c === 1) {
    for (let i = 0; i < out.length; i++) out[i] = set.pixels[i]! / 255;
    return out;
  }
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const base = i * plane * c;
    for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) out[base + k * plane + p] = set.pixels[base + p * c + k]! / 255;
  }
  return out;
}

/** The images at `rows` (in that order) as a new set. */
export function takeImages(set: ImageSet, rows: ArrayLike<number>): ImageSet {
  const per = set.height * set.width * set.channels;
  const pixels = new Uint8Array(rows.length * per);
  const labels = new Int32Array(rows.length);
  const files: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    pixels.set(set.pixels.subarray(r * per, (r + 1) * per), i * per);
    labels[i] = set.labels[r]!;
    files.push(set.files[r]!);
  }
  return { ...set, n: rows.length, pixels, labels, files, resized: 0 };
}

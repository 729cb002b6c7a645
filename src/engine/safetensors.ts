/**
 * safetensors (Hugging Face's tensor file format): 8-byte little-endian header length, a
 * JSON header of {name: {dtype, shape, data_offsets}} plus string `__metadata__`, then raw
 * little-endian bytes. Lepton's model artifact is one safetensors file. Reading also takes F16 and
 * BF16 tensors (Hugging Face checkpoints), widened to F32 on the way in.
 * @module
 */
import { LeptonError } from '../errors.js';

export type Dtype = 'F32' | 'U8' | 'I32';

export interface StTensor {
  dtype: Dtype;
  shape: number[];
  data: Float32Array | Uint8Array | Int32Array;
}

const BYTES: Record<Dtype, number> = { F32: 4, U8: 1, I32: 4 };
/** Guards against reading a huge "header length" from a file that is not safetensors. */
const MAX_HEADER = 100 * 1024 * 1024;

export function encodeSafetensors(tensors: ReadonlyMap<string, StTensor>, metadata: Record<string, string>): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.byteLength;
    if (t.shape.reduce((a, b) => a * b, 1) * BYTES[t.dtype] !== bytes) {
      throw new Error(`tensor '${name}': shape [${t.shape}] does not match ${bytes} bytes of ${t.dtype}`);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keep tensor data 8-byte aligned
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let pos = 8 + head.length;
  for (const t of tensors.values()) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
    pos += t.data.byteLength;
  }
  return out;
}

/**
 * `what` names the expected content in errors (a model file unless told otherwise). With
 * `skipOtherDtypes`, tensors of other dtypes (a checkpoint's int64 position ids, …) are left out
 * and listed in `skipped` (name → dtype) instead of failing; F64 tensors are narrowed to F32.
 */
export function decodeSafetensors(buf: Uint8Array, source: string, what?: string, options: { skipOtherDtypes?: boolean } = {}): { tensors: Map<string, StTensor>; metadata: Record<string, string>; skipped: Map<string, string> } {
  const bad = (why: string) =>
    what ? new LeptonError('E_PARSE', `${source} is not ${what} (${why})`) : new LeptonError('E_MODEL_FILE', `${source} is not a Lepton model file (${why})`, 'give a file written by `lepton train --out`');
  if (buf.length < 8) throw bad('too short');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = Number(view.getBigUint64(0, true));
  if (len < 2 || len > MAX_HEADER || 8 + len > buf.length) throw bad('no safetensors header');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, len).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw bad('unreadable header');
  }
  if (typeof header !== 'object' || header === null) throw bad('unreadable header');
  const base = 8 + len;
  const tensors = new Map<string, StTensor>();
  const skipped = new Map<string, string>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    const half = t.dtype === 'F16' || t.dtype === 'BF16';
    const wide = options.skipOtherDtypes === true && t.dtype === 'F64';
    if (options.skipOtherDtypes && typeof t.dtype === 'string' && !half && !wide && !(t.dtype in BYTES) && Array.isArray(t.shape)) {
      skipped.set(name, t.dtype);
      continue;
    }
    if ((!half && !wide && t.dtype !== 'F32' && t.dtype !== 'U8' && t.dtype !== 'I32') || !Array.isArray(t.shape) || !Array.isArray(t.data_offsets)) throw bad(`tensor '${name}' has an unsupported entry${typeof t.dtype === 'string' ? ` (dtype ${t.dtype})` : ''}`);
    const [b, e] = t.data_offsets;
    if (!(b >= 0 && e >= b && base + e <= buf.length)) throw bad(`tensor '${name}' points outside the file`);
    if (half || wide) {
      tensors.set(name, { dtype: 'F32', shape: t.shape, data: toFloat32(view, base + b, base + e, t.dtype as 'F16' | 'BF16' | 'F64') });
      continue;
    }
    // Copy: the file buffer's offsets need not be aligned for a Float32Array view (a U8 tensor of
    // odd length moves every tensor after it). `new Uint8Array(view)` copies; a Buffer's `slice`
    // would not.
    const bytes = new Uint8Array(buf.subarray(base + b, base + e));
    const data = t.dtype === 'F32' ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : t.dtype === 'I32' ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : bytes;
    tensors.set(name, { dtype: t.dtype as Dtype, shape: t.shape, data });
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  return { tensors, metadata, skipped };
}

/** Little-endian F16, BF16 or F64 values in bytes [from, to) of `view` as float32. */
function toFloat32(view: DataView, from: number, to: number, dtype: 'F16' | 'BF16' | 'F64'): Float32Array {
  const size = dtype === 'F64' ? 8 : 2;
  const out = new Float32Array(Math.floor((to - from) / size));
  for (let i = 0; i < out.length; i++) {
    if (dtype === 'F64') out[i] = view.getFloat64(from + 8 * i, true);
    else out[i] = dtype === 'BF16' ? bf16ToFloat(view.getUint16(from + 2 * i, true)) : f16ToFloat(view.getUint16(from + 2 * i, true));
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** A bfloat16 is the top half of a float32. */
function bf16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

/** IEEE binary16 → number (subnormals, infinities and NaN included). */
function f16ToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

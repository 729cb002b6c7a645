import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, type StTensor } from '../../src/engine/safetensors.js';

describe('engine: safetensors', () => {
  it('round-trips float and byte tensors with metadata, 8-byte aligned', () => {
    const tensors = new Map<string, StTensor>([
      ['a.weight', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['blob', { dtype: 'U8', shape: [3], data: Uint8Array.from([7, 8, 9]) }],
    ]);
    const buf = encodeSafetensors(tensors, { hello: 'world' });
    const headerLen = Number(buf.readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0);
    const back = decodeSafetensors(buf, 'x');
    expect(back.metadata).toEqual({ hello: 'world' });
    expect(Array.from(back.tensors.get('a.weight')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.tensors.get('a.weight')!.shape).toEqual([2, 3]);
    expect(Array.from(back.tensors.get('blob')!.data)).toEqual([7, 8, 9]);
  });

  it('reads a float tensor stored after a byte tensor of odd length (unaligned in the file)', () => {
    const tensors = new Map<string, StTensor>([
      ['booster.ubj', { dtype: 'U8', shape: [3], data: Uint8Array.from([7, 8, 9]) }],
      ['w', { dtype: 'F32', shape: [2], data: Float32Array.from([0.5, -2]) }],
    ]);
    const back = decodeSafetensors(encodeSafetensors(tensors, {}), 'x');
    expect(Array.from(back.tensors.get('w')!.data)).toEqual([0.5, -2]);
  });

  it('says a random file is not a model file', () => {
    expect(() => decodeSafetensors(Buffer.from('hello, this is plain text'), 'notes.txt')).toThrow(/notes.txt is not a Lepton model file/);
    expect(() => decodeSafetensors(Buffer.alloc(4), 'tiny')).toThrow(/too short/);
  });
});

import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../../compiler/io/npy.js';
import { makeTensor, type DType } from '../../ir/index.js';

describe('.npy files', () => {
  const cases: [DType, number[] | bigint[]][] = [
    ['f32', [1.5, -2, 3.25, 0]],
    ['f16', [0.5, -1, 65504, 2]],
    ['i64', [9007199254740993n, -5n, 0n, 7n]],
    ['u8', [0, 255, 1, 2]],
    ['bool', [1, 0, 1, 1]],
  ];
  for (const [dtype, values] of cases) {
    it(`round-trips ${dtype}`, () => {
      const t = makeTensor(dtype, [2, 2], values);
      const bytes = encodeNpy(t);
      // The data starts 64-byte aligned, as NumPy writes it.
      expect((bytes.length - t.data.length * (dtype === 'f16' ? 2 : t.data.BYTES_PER_ELEMENT)) % 64).toBe(0);
      const back = decodeNpy(bytes);
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual([2, 2]);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(t.data as ArrayLike<unknown>));
    });
  }

  it('reads scalars and 1-D shapes', () => {
    expect(decodeNpy(encodeNpy(makeTensor('f32', [], [3]))).shape).toEqual([]);
    expect(decodeNpy(encodeNpy(makeTensor('f32', [3], [1, 2, 3]))).shape).toEqual([3]);
  });

  it('rejects bad files with a clear error', () => {
    expect(() => decodeNpy(new Uint8Array([1, 2, 3]), 'x.npy')).toThrow(/x.npy: not a .npy file/);
    const good = encodeNpy(makeTensor('f32', [4], [1, 2, 3, 4]));
    expect(() => decodeNpy(good.subarray(0, good.length - 3), 'cut.npy')).toThrow(/cut.npy: .npy data holds 13 bytes; shape \[4\] of f32 needs 16/);
    const fortran = Buffer.from(Buffer.from(good).toString('latin1').replace("'fortran_order': False", "'fortran_order': True "), 'latin1');
    expect(() => decodeNpy(new Uint8Array(fortran))).toThrow(/Fortran-ordered/);
  });
});

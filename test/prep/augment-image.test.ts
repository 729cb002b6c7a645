import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addon } from '../../src/engine/addon.js';
import { locateFashionMnist, readIdx } from '../../src/data/readers/idx.js';
import { augmentImages, type ImageShape } from '../../src/prep/augment-image.js';
import { LeptonError } from '../../src/errors.js';

/** n images of size c×h×w whose pixels are all distinct and non-zero (so shifts are unambiguous). */
function ramp(n: number, c: number, h: number, w: number): Float32Array {
  return Float32Array.from({ length: n * c * h * w }, (_, i) => 1 + (i % 997) / 10 + Math.floor(i / 997));
}

const image = (x: Float32Array, shape: ImageShape, i: number) => {
  const size = shape[1] * shape[2] * shape[3];
  return x.subarray(i * size, (i + 1) * size);
};

const at = (img: Float32Array, h: number, w: number, ch: number, y: number, x: number) => img[(ch * h + y) * w + x]!;

function mirror(img: Float32Array, c: number, h: number, w: number, axis: 'h' | 'v'): Float32Array {
  const out = new Float32Array(img.length);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) out[(ch * h + y) * w + x] = axis === 'h' ? at(img, h, w, ch, y, w - 1 - x) : at(img, h, w, ch, h - 1 - y, x);
  return out;
}

/** The (dy, dx) with |dy|, |dx| <= p for which out[y][x] = in[y+dy][x+dx] inside and `outside(…)` beyond, if any. */
function findShift(inp: Float32Array, out: Float32Array, c: number, h: number, w: number, p: number, outside: (ch: number, y: number, x: number) => number): [number, number][] {
  const found: [number, number][] = [];
  for (let dy = -p; dy <= p; dy++)
    for (let dx = -p; dx <= p; dx++) {
      let ok = true;
      for (let ch = 0; ch < c && ok; ch++)
        for (let y = 0; y < h && ok; y++)
          for (let x = 0; x < w && ok; x++) {
            const sy = y + dy;
            const sx = x + dx;
            const want = sy >= 0 && sy < h && sx >= 0 && sx < w ? at(inp, h, w, ch, sy, sx) : outside(ch, sy, sx);
            ok = at(out, h, w, ch, y, x) === want;
          }
      if (ok) found.push([dy, dx]);
    }
  return found;
}

const sum = (a: ArrayLike<number>, f: (v: number) => number = (v) => v) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += f(a[i]!);
  return s;
};
const mean = (a: ArrayLike<number>) => sum(a) / a.length;
const std = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Math.sqrt(sum(a, (v) => (v - m) ** 2) / a.length);
};

/** An isotropic Gaussian blob centred in an h×w image. */
function blob(h: number, w: number, sigma: number): Float32Array {
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  return Float32Array.from({ length: h * w }, (_, i) => Math.exp(-(((Math.floor(i / w) - cy) ** 2 + ((i % w) - cx) ** 2) / (2 * sigma * sigma))));
}

async function fashion(n: number): Promise<Float32Array> {
  const images = await readIdx(join(locateFashionMnist(), 't10k-images-idx3-ubyte.gz'));
  expect(images.shape).toEqual([10000, 28, 28]);
  return Float32Array.from(images.data.subarray(0, n * 784), (v) => v / 255);
}

describe('prep: image augmentation (libtorch)', () => {
  const shape: ImageShape = [16, 3, 12, 10];
  const x = ramp(...shape);
  const everything = { hflip: 0.5, vflip: 0.5, cropPadding: 2, rotateDegrees: 20, brightness: 0.2, contrast: 0.3, noiseStd: 0.05 };

  it('is fixed by the seed, differs between seeds, and leaves the input alone', () => {
    const before = Float32Array.from(x);
    const a = augmentImages(x, shape, everything, 11);
    augmentImages(x, shape, everything, 12); // a call with another seed in between changes nothing
    expect(augmentImages(x, shape, everything, 11)).toEqual(a);
    expect(augmentImages(x, shape, everything, 12)).not.toEqual(a);
    expect(a).toHaveLength(x.length);
    expect(x).toEqual(before);
  });

  it('with every option off returns the images unchanged (as a new array)', () => {
    const out = augmentImages(x, shape, {}, 3);
    expect(out).toEqual(x);
    expect(out).not.toBe(x);
    expect(augmentImages(x, shape, { hflip: 0, vflip: 0, cropPadding: 0, rotateDegrees: 0, brightness: 0, contrast: 0, noiseStd: 0 }, 3)).toEqual(x);
  });

  it('hflip / vflip with probability 1 mirror every image exactly; 0.5 mirrors some', () => {
    const [n, c, h, w] = shape;
    const hf = augmentImages(x, shape, { hflip: 1 }, 1);
    const vf = augmentImages(x, shape, { vflip: 1 }, 1);
    for (let i = 0; i < n; i++) {
      expect(image(hf, shape, i)).toEqual(mirror(image(x, shape, i), c, h, w, 'h'));
      expect(image(vf, shape, i)).toEqual(mirror(image(x, shape, i), c, h, w, 'v'));
    }
    const some = augmentImages(x, shape, { hflip: 0.5 }, 5);
    const flipped = Array.from({ length: n }, (_, i) => {
      const out = image(some, shape, i);
      if (out.every((v, k) => v === image(x, shape, i)[k])) return false;
      expect(out).toEqual(mirror(image(x, shape, i), c, h, w, 'h'));
      return true;
    });
    expect(flipped).toContain(true);
    expect(flipped).toContain(false);
  });

  it('padded crop keeps the shape and gives each image a shifted copy, zeros outside', () => {
    const [n, c, h, w] = shape;
    const p = 3;
    const out = augmentImages(x, shape, { cropPadding: p }, 9);
    expect(out).toHaveLength(x.length);
    const shifts = new Set<string>();
    for (let i = 0; i < n; i++) {
      const found = findShift(image(x, shape, i), image(out, shape, i), c, h, w, p, () => 0);
      expect(found).toHaveLength(1); // pixels are distinct, so exactly one shift explains the output
      shifts.add(found[0]!.join(','));
    }
    expect(shifts.size).toBeGreaterThan(3); // offsets are drawn per image
    // Reflection padding: outside pixels mirror the border (without repeating the edge pixel).
    const reflect = (v: number, size: number) => (v < 0 ? -v : v >= size ? 2 * (size - 1) - v : v);
    const r = augmentImages(x, shape, { cropPadding: p, cropPaddingMode: 'reflect' }, 9);
    for (let i = 0; i < 4; i++) {
      const inp = image(x, shape, i);
      expect(findShift(inp, image(r, shape, i), c, h, w, p, (ch, y, xx) => at(inp, h, w, ch, reflect(y, h), reflect(xx, w)))).toHaveLength(1);
    }
  });

  it('rotation: near-zero angles are the identity, a centred round blob keeps its mass and shape', () => {
    expect(augmentImages(x, shape, { rotateDegrees: 0 }, 1)).toEqual(x);
    const unit = Float32Array.from(x, (v) => v / 100);
    const tinyUnit = augmentImages(unit, shape, { rotateDegrees: 1e-7 }, 1); // through affine_grid + grid_sample
    expect(Math.max(...tinyUnit.map((v, i) => Math.abs(v - unit[i]!)))).toBeLessThan(1e-5);

    // On a non-square image too: the blob must stay round (the rotation is in pixels, not in [-1, 1]²).
    for (const [h, w] of [[28, 28], [24, 48]] as const) {
      const one = blob(h, w, 3.5);
      const n = 8;
      const batch = new Float32Array(n * h * w);
      for (let i = 0; i < n; i++) batch.set(one, i * h * w);
      const out = augmentImages(batch, [n, 1, h, w], { rotateDegrees: 45 }, 4);
      expect(out).not.toEqual(batch);
      for (let i = 0; i < n; i++) {
        const img = out.subarray(i * h * w, (i + 1) * h * w);
        expect(Math.abs(mean(img) - mean(one)) / mean(one)).toBeLessThan(0.02);
        let vy = 0;
        let vx = 0;
        let m = 0;
        img.forEach((v, k) => {
          vy += v * (Math.floor(k / w) - (h - 1) / 2) ** 2;
          vx += v * ((k % w) - (w - 1) / 2) ** 2;
          m += v;
        });
        expect(Math.abs(vy / m - vx / m) / (vx / m)).toBeLessThan(0.1);
      }
    }
  });

  it('brightness shifts each image by one value in [-b, b]; contrast scales around the image mean', () => {
    const [n] = shape;
    const b = 0.5;
    const bright = augmentImages(x, shape, { brightness: b }, 2);
    const deltas = Array.from({ length: n }, (_, i) => {
      const d = image(bright, shape, i).map((v, k) => v - image(x, shape, i)[k]!);
      expect(Math.max(...d) - Math.min(...d)).toBeLessThan(1e-4); // one shift per image
      expect(std(image(bright, shape, i))).toBeCloseTo(std(image(x, shape, i)), 3);
      return mean(d);
    });
    for (const d of deltas) expect(Math.abs(d)).toBeLessThanOrEqual(b + 1e-4);
    expect(Math.min(...deltas)).toBeLessThan(0);
    expect(Math.max(...deltas)).toBeGreaterThan(0);

    const c = 0.4;
    const contrast = augmentImages(x, shape, { contrast: c }, 2);
    const factors = Array.from({ length: n }, (_, i) => {
      const inp = image(x, shape, i);
      const out = image(contrast, shape, i);
      expect(Math.abs(mean(out) - mean(inp)) / mean(inp)).toBeLessThan(1e-5);
      const f = std(out) / std(inp);
      expect(f).toBeGreaterThanOrEqual(1 - c - 1e-4);
      expect(f).toBeLessThanOrEqual(1 + c + 1e-4);
      const m = mean(inp);
      out.forEach((v, k) => expect(Math.abs(v - (m + f * (inp[k]! - m)))).toBeLessThan(1e-3));
      return f;
    });
    expect(Math.min(...factors)).toBeLessThan(1); // less contrast for some images…
    expect(Math.max(...factors)).toBeGreaterThan(1); // …more for others
  });

  it('gaussian noise has the requested standard deviation (within 10 %) on a large batch', () => {
    const big: ImageShape = [256, 1, 28, 28];
    const zeros = new Float32Array(256 * 784);
    const noisy = augmentImages(zeros, big, { noiseStd: 0.1 }, 8);
    expect(Math.abs(std(noisy) - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(mean(noisy))).toBeLessThan(0.002);
  });

  it('names what is wrong: batch length, negative or out-of-range options, shape, seed', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as LeptonError;
      }
      throw new Error('expected an error');
    };
    const short = err(() => augmentImages(x.subarray(1), shape, {}, 1));
    expect(short.code).toBe('E_VALUE');
    expect(short.message).toMatch(/has 5759 values, but shape \[16, 3, 12, 10\] needs 5760/);
    expect(err(() => augmentImages(x, shape, { hflip: -0.1 }, 1)).message).toMatch(/hflip/);
    expect(err(() => augmentImages(x, shape, { noiseStd: -1 }, 1)).message).toMatch(/noiseStd/);
    expect(err(() => augmentImages(x, shape, { cropPadding: 1.5 }, 1)).message).toMatch(/cropPadding/);
    expect(err(() => augmentImages(x, shape, { contrast: 2 }, 1)).message).toMatch(/contrast/);
    expect(err(() => augmentImages(x, shape, { cropPadding: 10, cropPaddingMode: 'reflect' }, 1)).message).toMatch(/cropPadding 10 must be below the 12×10/);
    expect(err(() => augmentImages(x, shape, { flip: 1 } as never, 1)).message).toMatch(/flip/);
    expect(err(() => augmentImages(x, [16, 3, 12, 0], {}, 1)).message).toMatch(/shape must be four positive integers/);
    expect(err(() => augmentImages(x, shape, {}, -1)).message).toMatch(/seed/);

    // The addon checks on its own too, with coded errors.
    const native = (fn: () => unknown) => err(fn) as unknown as { code: string; message: string };
    const wrong = native(() => addon().augmentImages(x.subarray(1), 16, 3, 12, 10, {}, 1));
    expect(wrong.code).toBe('E_SHAPE');
    expect(wrong.message).toMatch(/pixels has 5759 elements, expected n\*c\*h\*w = 16\*3\*12\*10 = 5760/);
    const negative = native(() => addon().augmentImages(x, 16, 3, 12, 10, { noiseStd: -1 }, 1));
    expect(negative.code).toBe('E_ARG');
    expect(negative.message).toMatch(/option 'noiseStd' must be at least 0, got -1/);
    expect(native(() => addon().augmentImages(x, 16, 3, 12, 10, { vflip: 2 }, 1)).message).toMatch(/option 'vflip' must be in \[0, 1\], got 2/);
  });

  it('on real Fashion-MNIST images: hflip twice is the identity, and a full pipeline is seeded', async () => {
    const n = 64;
    const real = await fashion(n);
    const fm: ImageShape = [n, 1, 28, 28];
    const once = augmentImages(real, fm, { hflip: 1 }, 1);
    expect(once).not.toEqual(real);
    expect(augmentImages(once, fm, { hflip: 1 }, 2)).toEqual(real);
    const opts = { hflip: 0.5, cropPadding: 2, rotateDegrees: 10, brightness: 0.05, contrast: 0.1, noiseStd: 0.02 };
    const a = augmentImages(real, fm, opts, 21);
    expect(augmentImages(real, fm, opts, 21)).toEqual(a);
    expect(a.every(Number.isFinite)).toBe(true);
    // Angles are drawn per image: eight copies of one image come out eight different ways.
    const copies = new Float32Array(8 * 784);
    for (let i = 0; i < 8; i++) copies.set(real.subarray(0, 784), i * 784);
    const turned = augmentImages(copies, [8, 1, 28, 28], { rotateDegrees: 30 }, 3);
    expect(new Set(Array.from({ length: 8 }, (_, i) => turned.subarray(i * 784, (i + 1) * 784).join(','))).size).toBe(8);
    // Light augmentation keeps the images close to the originals on average.
    expect(Math.abs(mean(a) - mean(real))).toBeLessThan(0.05);
  });
});

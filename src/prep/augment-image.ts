/**
 * Training-time image augmentation: each epoch sees slightly different copies of the training
 * images (mirrored, shifted, rotated, brighter, noisier), which makes small image sets go
 * further. The pixels are crunched by libtorch in one batched call; this file only checks the
 * options and the shape. A seed fixes every random choice, so a run can be repeated exactly
 * (use a different seed per epoch for fresh copies). Validation and test images are never
 * augmented.
 * @module
 */
import { z } from 'zod';
import { addon, callNativeSync } from '../engine/addon.js';
import { LeptonError } from '../errors.js';

const probability = z.number().min(0).max(1);

/**
 * What to apply, each per image and off by default. Applied in this order: padded crop, flips,
 * rotation, brightness, contrast, noise. Pixels are not clamped afterwards, so the options work
 * on raw (0–255), scaled (0–1) and standardised pixels alike; size `brightness` and `noiseStd`
 * in the pixels' own units.
 */
export const ImageAugmentOptions = z.strictObject({
  /** Probability of mirroring an image left–right. */
  hflip: probability.default(0),
  /** Probability of mirroring an image top–bottom (rarely right for photos of upright things). */
  vflip: probability.default(0),
  /** Pad every side by this many pixels, then cut the original size at a random offset (torchvision RandomCrop(padding)). */
  cropPadding: z.number().int().min(0).default(0),
  /** What the padding holds: zeros, or the image reflected at its border. */
  cropPaddingMode: z.enum(['zeros', 'reflect']).default('zeros'),
  /** Rotate by an angle drawn uniformly from [-rotateDegrees, rotateDegrees] (bilinear, zeros outside). */
  rotateDegrees: z.number().min(0).max(180).default(0),
  /** Add a value drawn uniformly from [-brightness, brightness] to every pixel of an image. */
  brightness: z.number().min(0).default(0),
  /** Scale an image around its mean by a factor drawn uniformly from [1 - contrast, 1 + contrast]. */
  contrast: z.number().min(0).max(1).default(0),
  /** Standard deviation of Gaussian noise added to every pixel. */
  noiseStd: z.number().min(0).default(0),
});
export type ImageAugmentOptions = z.input<typeof ImageAugmentOptions>;

/** Images as a batch: count, channels, height, width (NCHW, the layout libtorch uses). */
export type ImageShape = readonly [n: number, c: number, h: number, w: number];

export function parseImageAugmentOptions(input: unknown, source = 'image augmentation'): z.output<typeof ImageAugmentOptions> {
  const r = ImageAugmentOptions.safeParse(input ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new LeptonError('E_OPTION', `${source}: ${i.path.join('.') || 'options'}: ${i.message}`, 'see ImageAugmentOptions for the keys and their ranges');
  }
  return r.data;
}

/**
 * A seeded, augmented copy of a batch of images; the input is left untouched.
 * @example
 *   // 256 Fashion-MNIST images scaled to [0, 1], fresh copies each epoch:
 *   const out = augmentImages(pixels, [256, 1, 28, 28], { hflip: 0.5, cropPadding: 2, rotateDegrees: 10 }, seed + epoch);
 */
export function augmentImages(batch: Float32Array, shape: ImageShape, options: ImageAugmentOptions, seed: number): Float32Array {
  const o = parseImageAugmentOptions(options);
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new LeptonError('E_VALUE', `image shape must be four positive integers [n, c, h, w], got [${shape.join(', ')}]`, 'give the batch as n × channels × height × width');
  }
  const [n, c, h, w] = shape;
  if (batch.length !== n * c * h * w) {
    throw new LeptonError('E_VALUE', `the image batch has ${batch.length} values, but shape [${shape.join(', ')}] needs ${n * c * h * w}`, 'pass the shape of the batch (n × channels × height × width)');
  }
  if (o.cropPadding > Math.max(h, w)) {
    throw new LeptonError('E_OPTION', `cropPadding ${o.cropPadding} is larger than the ${h}×${w} images`, 'pad by a few pixels, e.g. 2–4 for 28×28');
  }
  if (o.cropPaddingMode === 'reflect' && o.cropPadding >= Math.min(h, w)) {
    throw new LeptonError('E_OPTION', `cropPadding ${o.cropPadding} must be below the ${h}×${w} image size with reflection padding`, 'use a smaller cropPadding or cropPaddingMode "zeros"');
  }
  if (!Number.isSafeInteger(seed) || seed < 0) throw new LeptonError('E_OPTION', `seed must be a non-negative integer, got ${seed}`);
  return callNativeSync('image augmentation', () => addon().augmentImages(batch, n, c, h, w, o, seed));
}

/**
 * `trainImages`: a CNN on an image set (image folder, IDX, registered image dataset). A
 * stratified train/validation/test split, early stopping on validation loss with the best
 * epoch's weights kept, then the report on the untouched test split. No refit on
 * train + validation: an epoch over tens of thousands of images is too dear to pay twice.
 * @example
 *   const set = await readImageFolder('scans/');
 *   const { model, test } = await trainImages(set, { epochs: 10 });
 *   await saveModel(model, 'scans.lepton');
 * @module
 */
import { availableParallelism } from 'node:os';
import { fitOrSearch, type NetworkSearch } from '../automl/networks.js';
import { imageFeatures, takeImages, type ImageSet } from '../data/images.js';
import { LeptonError } from '../errors.js';
import { CnnParams } from '../models/spec.js';
import { parseNetParams, trainNetwork, type NetworkTrainOptions, type NetworkTrainResult } from './train-network.js';

export interface ImageTrainOptions extends NetworkTrainOptions {
  /** CNN hyper-parameters (epochs, lr, layers, …); see CnnParams. Threads default to all cores: convolutions scale, unlike small tabular nets. */
  params?: Partial<CnnParams>;
  /** AutoML: search the CNN's hyper-parameters on the validation split instead of one default fit. */
  search?: NetworkSearch;
}

export type ImageTrainResult = NetworkTrainResult;

export async function trainImages(set: ImageSet, options: ImageTrainOptions = {}): Promise<ImageTrainResult> {
  if (set.classes.length < 2) throw new LeptonError('E_TARGET', `the images have ${set.classes.length} class; at least 2 are needed`, 'add a sub-folder per class');
  if (set.n < 20) throw new LeptonError('E_TARGET', `only ${set.n} images; at least 20 are needed`, 'add images');
  const parse = (p?: Record<string, unknown>) => parseNetParams(CnnParams, { ...options.params, ...p }, 'cnn', 'see `lepton train --help` for the image options');
  const params = parse();
  const shape: [number, number, number] = [set.channels, set.height, set.width];
  const result = await trainNetwork({
    family: 'cnn',
    labels: set.labels,
    classes: set.classes,
    params,
    options,
    defaultThreads: availableParallelism(),
    prepare: () => ({
      features: (rows) => imageFeatures(takeImages(set, rows)),
      numFeatures: set.channels * set.height * set.width,
      input: { kind: 'image', channels: set.channels, height: set.height, width: set.width },
      fit: (train, val, ctx) => fitOrSearch(options.search, params, parse, { family: 'cnn', shape }, train, val, ctx),
      summary: () => ({ images: { height: set.height, width: set.width, channels: set.channels } }),
    }),
  });
  if (options.search) result.model.manifest.training = { ...result.model.manifest.training, automl: options.search.summary() };
  return result;
}

/**
 * Next-item networks on the engine's TorchNet: the history as token ids (item + 1, right-padded
 * with 0; the `seqLen` most recent items), classification over the items (cross entropy), early
 * stopping on the validation cases' loss. Training examples are every prefix of every training
 * sequence → its next item.
 * - gru (GRU4Rec-like): embedding → GRU → the last real step → dropout → dense over items.
 * - sasrec (SASRec-like): embedding + learned positions → pre-norm transformer blocks with a
 *   key-padding mask → the last real step → dense over items. Attention is not causal: SASRec's
 *   causal mask lets it train every position of a sequence in one pass, whereas here each prefix
 *   is its own example, so the last step may attend to the whole prefix it is asked about.
 * @module
 */
import { z } from 'zod';
import type { StTensor } from '../engine/safetensors.js';
import { throwIfCancelled, type FitContext, type FitInfo, type Member } from '../models/member.js';
import { NetMember } from '../models/net-family.js';
import { networkTraining } from '../models/spec.js';
import { buildNet, type NetSpec } from '../models/net-spec.js';
import { loadWeights, trainTorchNet } from '../models/torch-weights.js';
import { encodeHistories, type Case } from './histories.js';

/**
 * Why these defaults: 64-wide embeddings and two 2-head blocks are SASRec's own settings for
 * small catalogues; AdamW at 2e-3 with a cosine schedule converges in a few passes over the
 * prefixes; patience 2 because next-item models overfit the training prefixes quickly.
 */
export const SequenceParams = z.strictObject({
  dim: z.int().positive().default(64),
  /** GRU width. */
  hidden: z.int().positive().default(128),
  /** Transformer blocks and heads (sasrec). */
  blocks: z.int().positive().default(2),
  heads: z.int().positive().default(2),
  dropout: z.number().min(0).lt(1).default(0.2),
  /** Which step represents the history: the last real one, or the mean over all. */
  pooling: z.enum(['last', 'mean']).default('last'),
  ...networkTraining({ epochs: 20, batchSize: 256, lr: 2e-3, patience: 2 }),
});
export type SequenceParams = z.infer<typeof SequenceParams>;
export type SequenceFamily = 'gru' | 'sasrec';

export function sequenceNetSpec(family: SequenceFamily, p: SequenceParams, items: number, seqLen: number, seed: number): NetSpec {
  const body =
    family === 'gru'
      ? [{ type: 'gru', hidden: p.hidden }]
      : [{ type: 'transformer', heads: p.heads, ff: 2 * p.dim, layers: p.blocks, dropout: p.dropout, norm: 'pre' }];
  return {
    inputShape: [seqLen],
    layers: [{ type: 'embedding', vocab: items + 1, dim: p.dim, padIndex: 0 }, ...body, { type: 'pool', mode: p.pooling }, { type: 'dropout', p: p.dropout }, { type: 'linear', out: items }],
    outputDim: items,
    seed,
  } as NetSpec;
}

const casesData = (cases: readonly Case[], seqLen: number) => ({ x: encodeHistories(cases.map((c) => c.history), seqLen), y: Int32Array.from(cases, (c) => c.target) });

/** Trains on `train` (prefix → next item) with early stopping on the loss of `val`. */
export async function fitSequence(family: SequenceFamily, params: SequenceParams, items: number, seqLen: number, train: readonly Case[], val: readonly Case[], ctx: FitContext): Promise<Member> {
  throwIfCancelled(ctx.signal, family);
  const net = buildNet(sequenceNetSpec(family, params, items, seqLen, ctx.seed));
  const info = await trainTorchNet(family, net, params, casesData(train, seqLen), val.length ? casesData(val, seqLen) : undefined, { ...ctx, task: 'classification', numClasses: items }, { compute: 'matmul' });
  return new NetMember(family, params, info, net);
}

export function loadSequence(family: SequenceFamily, params: SequenceParams, info: FitInfo, tensors: ReadonlyMap<string, StTensor>, prefix: string, items: number, seqLen: number, seed: number): Member {
  const net = buildNet(sequenceNetSpec(family, params, items, seqLen, seed));
  loadWeights(net, tensors, prefix, 'the model file is damaged or was written for a different network');
  return new NetMember(family, params, info, net);
}

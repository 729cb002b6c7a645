/**
 * The weighted average of members' outputs (row-major probabilities or standardised values):
 * what an ensemble and a bagged member predict, and what AutoML's greedy weights are scored on.
 * Element-wise over a handful of small output arrays, so plain TypeScript.
 * @example
 *   blend([p1, p2], [0.7, 0.3]);   // 0.7·p1 + 0.3·p2 (weights are normalised to sum to one)
 * @module
 */
export function blend(outs: readonly ArrayLike<number>[], weights: readonly number[]): Float32Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Float32Array(outs[0]!.length);
  outs.forEach((o, j) => {
    const w = weights[j]! / total;
    if (w === 0) return;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + w * o[i]!;
  });
  return out;
}

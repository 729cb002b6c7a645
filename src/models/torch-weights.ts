/**
 * Weights of a torch network (MLP or TorchNet) to and from the artifact's tensors, shared by
 * the torch families.
 * @module
 */
import { callNativeSync, type NamedTensor } from '../engine/addon.js';
import type { StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';

interface HasState {
  stateDict(): NamedTensor[];
  loadStateDict(tensors: NamedTensor[]): void;
  dispose(): void;
}

/** The network's state dict as artifact tensors named `prefix` + parameter name. */
export function weightsOf(net: HasState, prefix: string): Map<string, StTensor> {
  const out = new Map<string, StTensor>();
  for (const t of callNativeSync('stateDict', () => net.stateDict())) out.set(prefix + t.name, { dtype: 'F32', shape: t.shape, data: t.data });
  return out;
}

/** Loads the tensors under `prefix` into `net`; on failure frees it and names the mismatch. */
export function loadWeights(net: HasState, tensors: ReadonlyMap<string, StTensor>, prefix: string, hint: string): void {
  const state = [...tensors].filter(([name]) => name.startsWith(prefix)).map(([name, t]) => ({ name: name.slice(prefix.length), shape: t.shape, data: t.data as Float32Array }));
  try {
    callNativeSync('load weights', () => net.loadStateDict(state));
  } catch (e) {
    net.dispose();
    throw new LeptonError('E_MODEL_FILE', (e as Error).message, hint, { cause: e });
  }
}

/**
 * Checkpoint weights as graph initializers that point into the safetensors files (external data,
 * no copy). bf16/f16 weights are cast to the compute dtype inside the graph (ORT folds the cast
 * at load time, so the session then holds compute-dtype weights).
 */
import * as o from '../engine/ops.js';
import type { DType, Graph, Tensor } from '../engine/tensor.js';
import type { StDtype } from '../engine/safetensors.js';
import type { Checkpoint } from './checkpoint.js';
import type { WeightSource } from './graph.js';

const ST_TO_DTYPE: Partial<Record<StDtype, DType>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64' };

export function checkpointWeights(g: Graph, ck: Checkpoint, dtype: DType): WeightSource {
  const made = new Map<string, Tensor>();
  return (role, layer) => {
    const ref = ck.weight(role, layer);
    if (!ref) return null;
    const hit = made.get(ref.name);
    if (hit) return hit;
    const stored = ST_TO_DTYPE[ref.dtype];
    if (!stored) throw new Error(`${ref.file}: tensor '${ref.storedName}' has dtype ${ref.dtype}; weights must be F32, F16, BF16 or F64`);
    const init = g.initializers.get(ref.name) ?? g.initializer(ref.name, stored, ref.shape, { kind: 'external', file: ref.file, offset: ref.offset, byteLength: ref.byteLength });
    const t = stored === dtype ? init : o.cast(init, dtype);
    made.set(ref.name, t);
    return t;
  };
}

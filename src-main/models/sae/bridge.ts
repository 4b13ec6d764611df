/** A loaded SAE as the `SaeBridge` that intervention compilation (models/intervened.ts) consumes. */
import type { Tensor } from '../../engine/tensor.js';
import type { SaeBridge } from '../intervened.js';
import { projectedFeatureBias, saeSplice } from './graph.js';
import { readDecoderRow, type Sae } from './load.js';

export function saeBridge(sae: Sae): SaeBridge {
  const rows = new Map<number, Float32Array>();
  return {
    hook: sae.hook,
    dIn: sae.dIn,
    dSae: sae.dSae,
    decoderRow(i: number): Float32Array {
      let r = rows.get(i);
      if (!r) rows.set(i, (r = Float32Array.from(readDecoderRow(sae, i))));
      return r;
    },
    splice(x: Tensor, opts: { withError: boolean; featureBias?: Tensor }): Tensor {
      return saeSplice(sae, opts)(x);
    },
    project(bias: Tensor): Tensor {
      return projectedFeatureBias(sae, bias);
    },
  };
}

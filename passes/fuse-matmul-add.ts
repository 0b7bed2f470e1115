import type { Pass } from './pass.js';
import { applyPatternsGreedily, type RewritePattern } from './pattern.js';
import { singleUseProducer, replaceKeepingName } from './fusion-util.js';

/**
 * MatMul(A, B) + bias -> Gemm(A, B, bias) when A is 2-D, B is a constant 2-D [K, N] weight and the bias
 * broadcasts over the last dim only ([N], [1, N] or a single element), so the output shape is unchanged.
 *
 * N-D MatMul (a transformer's [batch, seq, K] x [K, N]) is left as MatMul + Add on purpose: Gemm is 2-D, and
 * a FusedMatMul op would only save one elementwise pass that fuse-elementwise or a target's epilogue can take.
 */
const matmulPlusBias: RewritePattern = {
  name: 'matmul-add-to-gemm',
  roots: ['Add'],
  rewrite(add, rewriter) {
    for (const i of [0, 1]) {
      const mm = singleUseProducer(add.inputs[i], ['MatMul'], add, rewriter);
      const bias = add.inputs[1 - i]!;
      if (!mm || bias === add.inputs[i]) continue;
      const [a, b] = mm.inputs as [NonNullable<(typeof mm.inputs)[number]>, NonNullable<(typeof mm.inputs)[number]>];
      if (a.type.shape.length !== 2 || !b.data || b.data.shape.length !== 2) continue;
      const n = b.data.shape[1]!;
      const bs = bias.type.shape;
      const perColumn = (bs.length === 1 && bs[0] === n) || (bs.length === 2 && bs[0] === 1 && bs[1] === n);
      const single = bs.length <= 2 && bs.every((d) => d === 1);
      if (!perColumn && !single) continue;
      const [out] = rewriter.create('Gemm', [a, b, bias], {}, { name: mm.name || undefined, outputs: [add.outputs[0]!.name] });
      replaceKeepingName(rewriter, add, out!);
      return true;
    }
    return false;
  },
};

export const fuseMatmulAdd: Pass = {
  name: 'fuse-matmul-add',
  description: 'turn 2-D MatMul by a constant weight plus a per-column bias into Gemm',
  run: (graph) => applyPatternsGreedily(graph, [matmulPlusBias]),
};

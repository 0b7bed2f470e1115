/**
 * ONNX multidirectional broadcasting over static shapes, collapsed for loop nests (wasm and rvv kernels).
 *
 * Size-1 output axes go, and neighbouring axes merge when every operand is broadcast along both or along
 * neither (so [N,C,H,W] + [C,1,1] runs as [N | C | H*W] with the second operand read once per C). The
 * innermost collapsed axis is contiguous (stride 1) or broadcast (stride 0) for every operand.
 */
export interface BroadcastLayout {
  /** Collapsed output dims, at least one (a scalar output is [1]). */
  dims: number[];
  /** Per operand, its element stride along each collapsed axis (0 where it is broadcast). */
  strides: number[][];
}

/** Collapses the broadcast of `shapes` to `out` (which must be their ONNX broadcast). */
export function collapseBroadcast(out: readonly number[], shapes: readonly (readonly number[])[]): BroadcastLayout {
  const rank = out.length;
  // Per kept output axis: its size and, per operand, whether the operand is broadcast along it.
  const axes: { size: number; bcast: boolean[] }[] = [];
  for (let a = 0; a < rank; a++) {
    if (out[a] === 1) continue;
    const bcast = shapes.map((s) => {
      const d = s[a - (rank - s.length)];
      return d === undefined || d === 1;
    });
    const prev = axes[axes.length - 1];
    if (prev && prev.bcast.every((b, k) => b === bcast[k])) prev.size *= out[a]!;
    else axes.push({ size: out[a]!, bcast });
  }
  if (axes.length === 0) axes.push({ size: 1, bcast: shapes.map(() => false) });
  const dims = axes.map((x) => x.size);
  const strides = shapes.map((_, k) => {
    const st = new Array<number>(axes.length).fill(0);
    let run = 1;
    for (let a = axes.length - 1; a >= 0; a--) {
      if (axes[a]!.bcast[k]) continue;
      st[a] = run;
      run *= axes[a]!.size;
    }
    return st;
  });
  return { dims, strides };
}


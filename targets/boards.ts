import { EdgecError } from '../ir/index.js';

/**
 * Board profiles: what `--board` picks for a build and a run. A profile names the target, the VLEN the board
 * implements (the code is VLEN-agnostic, so this is a hint: what qemu emulates for `edgec run` and what the
 * benchmarks report), whether the board is better served by int8 models, and the C compiler's tuning flags.
 */
export interface BoardProfile {
  readonly name: string;
  readonly description: string;
  readonly target: string;
  /** Vector register length in bits. */
  readonly vlen: number;
  /** The board's vector unit gains most from int8 widening MACs: quantize models for it (`edgec quantize`). */
  readonly preferInt8: boolean;
  /** Extra clang flags (e.g. -mtune for the core's pipeline); never flags that change results. */
  readonly cflags: readonly string[];
}

const generic = (vlen: number): BoardProfile => ({
  name: `generic-rv64gcv-vlen${vlen}`,
  description: `any RV64GCV (RVV 1.0) core with VLEN ${vlen}`,
  target: 'rvv',
  vlen,
  preferInt8: false,
  cflags: [],
});

export const BOARDS: ReadonlyMap<string, BoardProfile> = new Map(
  [
    generic(128),
    generic(256),
    generic(512),
    {
      name: 'k1',
      description: 'SpacemiT K1 (8 X60 cores, RVV 1.0, VLEN 256; int8 dot products favoured)',
      target: 'rvv',
      vlen: 256,
      preferInt8: true,
      cflags: ['-mtune=spacemit-x60'],
    },
  ].map((b) => [b.name, b]),
);

export function boardNamed(name: string): BoardProfile {
  const board = BOARDS.get(name);
  if (!board) throw new EdgecError('USAGE', `unknown board '${name}' (boards: ${[...BOARDS.keys()].join(', ')})`);
  return board;
}

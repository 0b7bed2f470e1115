import { arrayFromBytes, arrayToBytes, makeTensor, type DType } from '../../ir/index.js';
import { CLANG, AR } from '../../targets/rvv/build.js';
import { buildRvvBundle, runRvvBundle } from '../../targets/rvv/bundle.js';
import { generateRvvSources } from '../../targets/rvv/compile.js';
import { rvvTarget } from '../../targets/rvv/index.js';
import { rvvKernelFor } from '../../targets/rvv/kernels/index.js';
import { hasTool, QEMU_STATIC, VLENS } from '../../targets/rvv/qemu.js';
import { buildCountPlugin, countInstructions } from '../bench/rvv-count.js';
import { rvvIoTable, runRvvElf } from '../io/rvv-io.js';
import { clangToolVersion, compilerVersion } from '../provenance/build-info.js';
import { readProvenance } from '../provenance/verify.js';
import type { FlatOutputs, TargetEntry } from './entry.js';

const flat = (outputs: Record<string, { data: unknown }>): FlatOutputs => Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, t.data as ArrayLike<number>]));

/**
 * RISC-V Vector: an ELF run under qemu-user at a chosen VLEN. Not timed by bench (qemu's wall time says nothing
 * about RVV speed) but counted: dynamic instructions per kernel through the project's qemu plugin. Many graphs
 * run as one bundled program (one clang build, one qemu run per VLEN).
 */
export const rvvEntry: TargetEntry = {
  target: rvvTarget,
  runsOn: 'under qemu-user at VLEN 128, 256 and 512, all cases in one bundled program (a case passes when it passes at every VLEN)',
  artifactExtension: '.elf',
  options: (_flags, board) => ({ cflags: [...(board?.cflags ?? [])] }),
  async missing() {
    const absent = [CLANG, AR, QEMU_STATIC].filter((t) => !hasTool(t));
    return absent.length === 0 ? null : `rvv needs ${absent.join(', ')} (run scripts/setup.sh)`;
  },
  session: async ({ vlen }) => ({
    label: `rvv (qemu, VLEN ${vlen})`,
    async open(elf, from) {
      const io = rvvIoTable(elf, from?.file);
      return {
        inputs: io.inputs.map((e) => ({ name: e.name, dtype: e.dtype as DType, shape: e.shape })),
        run: async (feeds) => runRvvElf(elf, feeds, vlen).outputs,
        close: () => {},
      };
    },
    close: () => {},
  }),
  async runBatch(graphs, feeds) {
    const bundle = buildRvvBundle(graphs);
    const inputs = graphs.map((_, i) => bundle.cases[i]!.inputs.map((e) => arrayToBytes(e.dtype as DType, feeds[i]![e.name]!.data)));
    return VLENS.map((vlen) => {
      const outputs = runRvvBundle(bundle, inputs, vlen);
      return {
        variant: `VLEN ${vlen}`,
        outputs: graphs.map((_, i) => Object.fromEntries(bundle.cases[i]!.outputs.map((e, j) => [e.name, makeTensor(e.dtype as DType, e.shape, arrayFromBytes(e.dtype as DType, outputs[i]![j]!))]))),
      };
    });
  },
  seal: { tools: () => [compilerVersion(), clangToolVersion()], read: readProvenance },
  bench: {
    rtol: 1e-4,
    options: {},
    measure: 'counted',
    note: ({ vlen }) => `rvv counted under qemu at VLEN ${vlen}`,
    async prepare(build, context) {
      const dir = context.scratch();
      const plugin = context.memo('rvv-count-plugin', () => buildCountPlugin(dir));
      // The node functions of this build (symbols, labels) for per-kernel attribution.
      const sources = generateRvvSources(build.graph, rvvKernelFor);
      context.progress.tick(`rvv ${build.precision}: counting instructions under qemu at VLEN ${context.vlen}`);
      const count = countInstructions(dir, plugin, `model-${build.precision}`, build.bytes, sources, context.feeds, context.vlen);
      const kernels = sources.nodes
        .map((n, i) => ({ node: n.label, op: n.op, value: count.perNode[i]!, share: count.total ? count.perNode[i]! / count.total : 0 }))
        .sort((a, c) => c.value - a.value);
      return { outputs: flat(count.outputs), instructions: { total: count.total, kernels } };
    },
  },
};

import { describe, expect, it } from 'vitest';
import { prepareFeeds } from '../../compiler/feeds.js';
import { getOpSchema, GraphBuilder, makeTensor, nodeExpression, opTraits, registeredOps, type Graph, type Node, type Tensor, type Value } from '../../ir/index.js';
import { formatExpression } from '../../ir/ops/expression.js';
import { runGraph } from '../../targets/reference/index.js';
import { rvvTarget } from '../../targets/rvv/index.js';
import { wasmTarget } from '../../targets/wasm/index.js';
import { webgpuTarget } from '../../targets/webgpu/index.js';
import { relativeError, runOnWasm } from '../wasm/harness.js';
import { buildForRvv, runBuild, rvvToolsReady } from '../rvv/harness.js';
import { gpuProblem, runOnWebGpu } from '../webgpu/harness.js';

/**
 * The op traits and expressions of the schema are promises passes and targets build on; this file holds them
 * to what the reference interpreter and every code-generating target do.
 */

const SHAPE = [2, 3, 8];
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Deterministic values in [-3, 3) (both signs, the saturated ranges of the activations). */
function wave(shape: number[], seed: number): Tensor {
  return makeTensor('f32', shape, Array.from({ length: numel(shape) }, (_, i) => ((i * 7919 + seed * 104729) % 600) / 100 - 3));
}

/**
 * Adds one node of an elementwise op over `x` (operand 0) and sample further operands: scalar constant bounds
 * for Clip, a per-channel slope for PRelu, a third operand for variadic ops, a broadcast row otherwise.
 */
function sampleNode(b: GraphBuilder, op: string, x: Value, seed: number): Node {
  const schema = getOpSchema(op)!;
  const scalar = (name: string, v: number) => b.constant(b.uniqueName(name), makeTensor('f32', [], [v]));
  let operands: Value[];
  if (op === 'Clip') operands = [x, scalar('lo', -1), scalar('hi', 1.5)];
  else if (op === 'PRelu') operands = [x, b.constant(b.uniqueName('slope'), wave([SHAPE[2]!], seed))];
  else if (schema.inputs.some((s) => s.variadic)) operands = [x, b.constant(b.uniqueName('c'), wave([SHAPE[2]!], seed)), b.constant(b.uniqueName('d'), wave(SHAPE, seed + 1))];
  else operands = [x, ...schema.inputs.slice(1).map(() => b.constant(b.uniqueName('c'), wave([SHAPE[2]!], seed)))];
  const [y] = b.node(op, operands, {}, { name: `${op}_node`, outputNames: [`${op}_y`] });
  return y!.producer!;
}

const EXPRESSION_OPS = registeredOps().filter((op) => getOpSchema(op)!.expression && op !== 'FusedElementwise');

describe('op expressions', () => {
  it('every elementwise op with an expression computes what its reference kernel computes', () => {
    expect(EXPRESSION_OPS.length).toBeGreaterThanOrEqual(25);
    const mismatches: string[] = [];
    for (const op of EXPRESSION_OPS) {
      const b = new GraphBuilder(op);
      const x = b.input('x', { dtype: 'f32', shape: SHAPE });
      const node = sampleNode(b, op, x, 3);
      b.output(node.outputs[0]!);
      const expr = nodeExpression(node)!;
      // The same computation as one FusedElementwise node over the op's operands.
      const f = new GraphBuilder(`${op}_as_expression`);
      const fx = f.input('x', { dtype: 'f32', shape: SHAPE });
      const operands = node.inputs.map((v) => (v === x ? fx : f.constant(v!.name, v!.data!)));
      const [fy] = f.node('FusedElementwise', operands, { expression: formatExpression(expr) });
      f.output(fy!);
      const feeds = { x: wave(SHAPE, 1) };
      const expected = runGraph(b.build(), feeds)[node.outputs[0]!.name]!;
      const actual = runGraph(f.build(), feeds)[fy!.name]!;
      const error = relativeError({ y: actual }, { y: expected });
      if (!(error <= 1e-6)) mismatches.push(`${op}: ${formatExpression(expr)} differs by ${error}`);
    }
    expect(mismatches).toEqual([]);
  });
});

/** A sample node for each op with the view or selectsElements trait; a new such op must be added here. */
const MOVEMENT_SAMPLES: Record<string, (b: GraphBuilder, x: Value) => Value> = {
  Identity: (b, x) => b.op('Identity', [x]),
  Dropout: (b, x) => b.op('Dropout', [x]),
  Reshape: (b, x) => b.op('Reshape', [x, b.constant('shape', makeTensor('i64', [2], [6n, 8n]))]),
  Flatten: (b, x) => b.op('Flatten', [x], { axis: 2 }),
  Squeeze: (b, x) => b.op('Squeeze', [b.op('Unsqueeze', [x, b.constant('ax0', makeTensor('i64', [1], [1n]))]), b.constant('ax1', makeTensor('i64', [1], [1n]))]),
  Unsqueeze: (b, x) => b.op('Unsqueeze', [x, b.constant('ax', makeTensor('i64', [1], [0n]))]),
  Transpose: (b, x) => b.op('Transpose', [x], { perm: [2, 0, 1] }),
  MaxPool: (b, x) => b.op('MaxPool', [x], { kernel_shape: [3], strides: [2] }),
};

describe('movement traits', () => {
  const traitOps = registeredOps().filter((op) => opTraits(op).view || opTraits(op).selectsElements);

  it('every op with the view or selectsElements trait has a sample here', () => {
    expect(traitOps.filter((op) => !MOVEMENT_SAMPLES[op])).toEqual([]);
  });

  for (const op of traitOps) {
    it(`${op}: ${opTraits(op).view ? 'output 0 is operand 0 in the same order' : 'every output element is one of operand 0'}`, () => {
      const b = new GraphBuilder(op);
      const x = b.input('x', { dtype: 'f32', shape: SHAPE });
      const y = MOVEMENT_SAMPLES[op]!(b, x);
      b.output(y);
      const input = wave(SHAPE, 5);
      const out = Array.from(runGraph(b.build(), { x: input })[y.name]!.data as Float32Array);
      const source = Array.from(input.data as Float32Array);
      if (opTraits(op).view) expect(out).toEqual(source);
      else expect(out.filter((v) => !source.includes(v))).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// The in-place contract (OpTraits.inPlace): on every target, an op placed over its dying operand computes what
// the reference computes.

const IN_PLACE_OPS = registeredOps().filter((op) => opTraits(op).inPlace && op !== 'FusedElementwise');

/** One graph with a chain per op: a = x + c_k (dies at the op), y_k = op(a, ...); plan-memory must put y_k over a. */
function inPlaceGraph(ops: readonly string[]): { graph: Graph; pairs: [Value, Value][] } {
  const b = new GraphBuilder('in_place');
  const x = b.input('x', { dtype: 'f32', shape: SHAPE });
  const pairs = ops.map((op, k): [Value, Value] => {
    const a = b.op('Add', [x, b.constant(`shift${k}`, makeTensor('f32', [], [k % 3 === 0 ? 0.5 : -0.25]))], {}, `feed_${op}`);
    const y = sampleNode(b, op, a, k + 7).outputs[0]!;
    b.output(y);
    return [a, y];
  });
  return { graph: b.build(), pairs };
}

/** The in-place ops whose sample node the target's check accepts. */
function acceptedBy(check: (node: Node) => string | null): string[] {
  const { pairs } = inPlaceGraph(IN_PLACE_OPS);
  return pairs.filter(([, y]) => check(y.producer!) === null).map(([, y]) => y.producer!.op);
}

/** Runs the chains of `ops` on a target and checks placement and results against the reference. */
async function expectInPlaceContract(ops: readonly string[], run: (graph: Graph, feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>, tolerance: number) {
  const { graph, pairs } = inPlaceGraph(ops);
  const { feeds } = prepareFeeds(graph, {}, 1);
  const expected = runGraph(inPlaceGraph(ops).graph, feeds);
  const outputs = await run(graph, feeds);
  const notInPlace = pairs.filter(([a, y]) => a.arenaOffset === undefined || a.arenaOffset !== y.arenaOffset).map(([, y]) => y.producer!.op);
  expect(notInPlace).toEqual([]);
  const wrong = pairs.flatMap(([, y]) => {
    const error = relativeError({ [y.name]: outputs[y.name]! }, { [y.name]: expected[y.name]! });
    return error <= tolerance ? [] : [`${y.producer!.op}: relative error ${error}`];
  });
  expect(wrong).toEqual([]);
}

describe('the in-place contract on every target', () => {
  it('wasm: every in-place op gives the reference results when its result overwrites its operand', async () => {
    const ops = acceptedBy((n) => wasmTarget.check(n));
    expect(ops).toEqual(IN_PLACE_OPS);
    await expectInPlaceContract(ops, async (graph, feeds) => (await runOnWasm(graph, feeds)).outputs, 1e-5);
  });

  it('rvv: every in-place op it runs gives the reference results when its result overwrites its operand', async () => {
    if (!rvvToolsReady()) return;
    // The ops rvv cannot run yet are gaps listed in docs/ops.md; every one it runs must keep the contract.
    const ops = acceptedBy((n) => rvvTarget.check(n));
    expect(ops.length).toBeGreaterThanOrEqual(20);
    await expectInPlaceContract(ops, async (graph, feeds) => runBuild(buildForRvv(graph), feeds, 256).outputs, 1e-5);
  });

  it('webgpu: every in-place op gives the reference results when its result overwrites its operand', async () => {
    if (gpuProblem) {
      if (process.env.CI) throw new Error(`the in-place contract on webgpu needs WebGPU in Node: ${gpuProblem}`);
      console.warn(`skipping the webgpu in-place contract: ${gpuProblem}`);
      return;
    }
    const ops = acceptedBy((n) => webgpuTarget.check(n));
    expect(ops).toEqual(IN_PLACE_OPS);
    await expectInPlaceContract(ops, async (graph, feeds) => (await runOnWebGpu(graph, feeds)).outputs, 1e-4);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Activations are their expressions on every target, NaN included: relu(NaN) and clip(NaN) are NaN, as in the
// reference (ONNX's max(0, x) and numpy's clip).

function activationGraph(activation: string, params: number[]): Graph {
  const b = new GraphBuilder(`fused_${activation}`);
  const x = b.input('x', { dtype: 'f32', shape: [1, 4, 6, 6] });
  const w = b.constant('w', wave([8, 4, 1, 1], 2));
  b.output(b.op('FusedConv', [x, w], { activation, activation_params: params }));
  return b.build();
}

/** Input with NaN in one channel, so every output element reads a NaN or none. */
function nanInput(): Tensor {
  const x = wave([1, 4, 6, 6], 9);
  (x.data as Float32Array).fill(NaN, 36 * 2, 36 * 2 + 7);
  return x;
}

describe('activations keep NaN on every target', () => {
  const ACTS: [string, number[]][] = [['Relu', []], ['Clip', [0, 6]], ['LeakyRelu', [0.1]], ['HardSigmoid', [0.2, 0.5]]];
  for (const [activation, params] of ACTS) {
    it(`FusedConv ${activation}: NaN where the reference has NaN, the reference's values elsewhere`, async () => {
      const feeds = { x: nanInput() };
      const expected = runGraph(activationGraph(activation, params), feeds);
      const name = Object.keys(expected)[0]!;
      expect(Array.from(expected[name]!.data as Float32Array).some(Number.isNaN)).toBe(true);
      const wasm = (await runOnWasm(activationGraph(activation, params), feeds)).outputs;
      expect(relativeError(wasm, expected)).toBeLessThanOrEqual(1e-5);
      if (rvvToolsReady()) expect(relativeError(runBuild(buildForRvv(activationGraph(activation, params)), feeds, 128).outputs, expected)).toBeLessThanOrEqual(1e-5);
      if (!gpuProblem) expect(relativeError((await runOnWebGpu(activationGraph(activation, params), feeds)).outputs, expected)).toBeLessThanOrEqual(1e-4);
    });
  }
});

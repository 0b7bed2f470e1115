import { captureOperands, EdgecError, getAttr, inferNodeTypes, loopTripCount, makeTensor, Node, scanAttr, scanLayout, Value, type Graph } from '../ir/index.js';
import { expandNodes, inlineSubgraph, type Inlined } from './inline-subgraph.js';
import type { Pass } from './pass.js';
import { addConstant, NameAllocator } from './rewriter.js';

/**
 * Loop and Scan with a trip count known at compile time become straight-line code: one copy of the body per
 * iteration, each reading the previous copy's carried values, so every target runs them with the kernels it
 * already has. A Loop's trip count is static when M is a constant and it cannot stop early (ir/ops/
 * control-flow.ts loopTripCount); a Scan's when its scan inputs' sequence length is a number. Iteration i binds
 * the body's iteration number to the constant i and its condition to true; Scan's slices are Gathers at the
 * step's index (from the end for a reversed scan input); scan outputs are Unsqueezed per iteration and joined by
 * one Concat (in reverse for a reversed scan output).
 *
 * Unrolling multiplies code, so it stops at a budget: iterations x body nodes at most `max-nodes` (default
 * 4096). Bigger loops stay Loop/Scan nodes: the reference runs them; compiled targets refuse them by name.
 * Nested loops unroll innermost first (the pass manager runs passes on subgraphs before their holder), so an
 * inner body's copies count toward the outer budget.
 */
export const DEFAULT_UNROLL_MAX_NODES = 4096;

export const unrollLoopsPass: Pass = {
  name: 'unroll-loops',
  description: 'unrolls Loop and Scan nodes with a static trip count into straight-line code, within a node budget',
  options: { 'max-nodes': `largest trip count x body size to unroll (default ${DEFAULT_UNROLL_MAX_NODES})` },
  run(graph, options, context) {
    const raw = options['max-nodes'];
    const budget = raw === undefined ? DEFAULT_UNROLL_MAX_NODES : Number(raw);
    if (!Number.isInteger(budget) || budget < 0) throw new EdgecError('USAGE', `unroll-loops max-nodes must be a non-negative integer, got '${raw}'`);
    const names = new NameAllocator(graph);
    const unrolled = expandNodes(graph, (node) =>
      node.op === 'Loop' ? unrollLoop(graph, names, node, budget) : node.op === 'Scan' ? unrollScan(graph, names, node, budget) : undefined,
    );
    context.reports.set('unroll-loops', { unrolled });
    return unrolled > 0;
  },
};

/** Emits the unrolled nodes, each typed by its op's inference as it is made. */
class Emitter {
  readonly nodes: Node[] = [];
  constructor(
    private readonly graph: Graph,
    private readonly names: NameAllocator,
    private readonly prefix: string,
  ) {}
  constant(base: string, data: Parameters<typeof addConstant>[3]): Value {
    return addConstant(this.graph, this.names, `${this.prefix}${base}`, data);
  }
  op(op: string, inputs: Value[], attrs: Node['attrs'], base: string): Value {
    const out = new Value(this.names.fresh(`${this.prefix}${base}`), { dtype: 'f32', shape: [] });
    const node = new Node(op, inputs, [out], attrs);
    out.type = inferNodeTypes(node)[0]!;
    this.nodes.push(node);
    return out;
  }
  inline(body: Graph, bindings: Value[], iteration: number): Value[] {
    const copy = inlineSubgraph(this.graph, this.names, body, bindings, `${this.prefix}${iteration}/`);
    this.nodes.push(...copy.nodes);
    return copy.outputs;
  }
  /** Stacks per-iteration values along a new axis: Unsqueeze each, then one Concat. */
  stack(parts: Value[], axis: number, base: string): Value {
    const axes = this.constant(`${base}_axes`, makeTensor('i64', [1], [BigInt(axis)]));
    const expanded = parts.map((p, i) => this.op('Unsqueeze', [p, axes], {}, `${base}_${i}`));
    return expanded.length === 1 ? expanded[0]! : this.op('Concat', expanded, { axis }, base);
  }
}

function prefixOf(node: Node): string {
  return `${node.label}/`;
}

function unrollLoop(graph: Graph, names: NameAllocator, node: Node, budget: number): Inlined | undefined {
  const trips = loopTripCount(node);
  const body = getAttr<Graph>(node, 'body');
  if (trips === undefined || trips === 0 || trips * Math.max(1, body.nodes.length) > budget) return undefined;
  const e = new Emitter(graph, names, prefixOf(node));
  const captures = captureOperands(node) as Value[];
  let carried = node.inputs.slice(2, node.inputs.length - captures.length) as Value[];
  const scans: Value[][] = Array.from({ length: body.outputs.length - 1 - carried.length }, () => []);
  const yes = e.constant('cond', makeTensor('bool', body.inputs[1]!.type.shape as number[], [1]));
  for (let i = 0; i < trips; i++) {
    const iteration = e.constant(`iter${i}`, makeTensor('i64', body.inputs[0]!.type.shape as number[], [BigInt(i)]));
    const outs = e.inline(body, [iteration, yes, ...carried, ...captures], i);
    carried = outs.slice(1, 1 + carried.length);
    scans.forEach((list, k) => list.push(outs[1 + carried.length + k]!));
  }
  const stacked = scans.map((parts, k) => e.stack(parts, 0, `scan${k}`));
  return { nodes: e.nodes, outputs: [...carried, ...stacked] };
}

function unrollScan(graph: Graph, names: NameAllocator, node: Node, budget: number): Inlined | undefined {
  const body = getAttr<Graph>(node, 'body');
  const layout = scanLayout(node);
  const length = layout.sequenceLength;
  if (typeof length !== 'number' || length === 0 || length * Math.max(1, body.nodes.length) > budget) return undefined;
  const e = new Emitter(graph, names, prefixOf(node));
  const { states: n, scanInputs, scanOutputs } = layout;
  const inDirs = scanAttr(node, 'scan_input_directions', scanInputs);
  const outDirs = scanAttr(node, 'scan_output_directions', scanOutputs);
  const captures = captureOperands(node) as Value[];
  const scanned = node.inputs.slice(n, n + scanInputs) as Value[];
  let states = node.inputs.slice(0, n) as Value[];
  const outs: Value[][] = Array.from({ length: scanOutputs }, () => []);
  for (let t = 0; t < length; t++) {
    const slices = scanned.map((x, j) => {
      const index = e.constant(`step${t}_${j}`, makeTensor('i64', [], [BigInt(inDirs[j] ? length - 1 - t : t)]));
      return e.op('Gather', [x, index], { axis: layout.inputAxes[j]! }, `${t}/slice${j}`);
    });
    const results = e.inline(body, [...states, ...slices, ...captures], t);
    states = results.slice(0, n);
    outs.forEach((list, k) => list.push(results[n + k]!));
  }
  const stacked = outs.map((parts, k) => e.stack(outDirs[k] ? [...parts].reverse() : parts, layout.outputAxes[k]!, `scan${k}`));
  return { nodes: e.nodes, outputs: [...states, ...stacked] };
}

import type { Graph, Node, Value } from '../graph.js';
import { getAttr, registerOp, type InferContext } from './registry.js';
import { schema, variadic, optional } from './common.js';
import { numel } from '../tensor.js';
import { formatType, UNKNOWN_DIM, type Dim, type TensorType } from '../types.js';

/**
 * Control flow: If, Loop and Scan hold their branches or body as graph-valued attributes. A subgraph is closed:
 * the values it reads from enclosing graphs are its captures (Graph.captures), bound to the node's trailing
 * operands, so every operand count below is "the op's own operands" plus the captures. Output types follow
 * ONNX: If merges its branches' shapes (a dim the branches disagree on is '?'); Loop's final values merge the
 * initial and the body's shapes, and its scan outputs stack one body output per iteration, the iteration count
 * as the new leading dim when it is known at compile time; Scan slices its scan inputs along
 * scan_input_axes and stacks its scan outputs along scan_output_axes (directions only change the order).
 */

/** Same rank: dims that agree stay, others become '?'. Undefined when the ranks differ. */
function mergeShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] | undefined {
  if (a.length !== b.length) return undefined;
  return a.map((d, i) => (d === b[i] ? d : UNKNOWN_DIM));
}

function own(node: Node, body: Graph): number {
  return node.inputs.length - body.captures.length;
}

/**
 * The subgraph's captures must stand for the node's trailing operands: same dtype and rank, and each dim equal
 * unless one side is symbolic or unknown (passes sharpen outer types, e.g. folding a shape, without retyping the
 * subgraph; the subgraph's own types are then less precise, never wrong).
 */
function compatible(inner: TensorType, outer: TensorType): boolean {
  return inner.dtype === outer.dtype && inner.shape.length === outer.shape.length && inner.shape.every((d, i) => d === outer.shape[i] || typeof d !== 'number' || typeof outer.shape[i] !== 'number');
}

function checkCaptures(ctx: InferContext, attr: string, body: Graph, captures: number): void {
  if (body.captures.length !== captures) ctx.fail(`${ctx.node.op} ${attr} has ${body.captures.length} captures, but the node passes ${captures}`);
  const first = ctx.node.inputs.length - captures;
  body.captures.forEach((c, i) => {
    const outer = ctx.inputs[first + i];
    if (!outer) ctx.fail(`${ctx.node.op} capture ${i} (%${c.name}) of ${attr} has no operand`);
    if (!compatible(c.type, outer!)) ctx.fail(`${ctx.node.op} capture %${c.name} of ${attr} is ${formatType(c.type)}, but its operand is ${formatType(outer!)}`);
  });
}

function expectScalarOperand(ctx: InferContext, index: number, dtype: string, what: string): void {
  const t = ctx.inputs[index];
  if (!t) return;
  const n = t.shape.every((d) => typeof d === 'number') ? numel(t.shape as number[]) : undefined;
  if (t.dtype !== dtype || (n !== undefined && n !== 1)) ctx.fail(`${ctx.node.op} ${what} must be a single ${dtype}, got ${formatType(t)}`);
}

function expectBodyDType(ctx: InferContext, value: Value | undefined, dtype: string, what: string): void {
  if (!value) ctx.fail(`${ctx.node.op} body has no ${what}`);
  if (value!.type.dtype !== dtype) ctx.fail(`${ctx.node.op} body ${what} %${value!.name} must be ${dtype}, got ${formatType(value!.type)}`);
}

function merged(ctx: InferContext, a: TensorType, b: TensorType, what: string): TensorType {
  if (a.dtype !== b.dtype) ctx.fail(`${ctx.node.op} ${what}: ${formatType(a)} and ${formatType(b)} differ in element type`);
  const shape = mergeShapes(a.shape, b.shape);
  if (!shape) ctx.fail(`${ctx.node.op} ${what}: ${formatType(a)} and ${formatType(b)} differ in rank, which edgec cannot type`, 'UNSUPPORTED_FEATURE');
  return { dtype: a.dtype, shape: shape! };
}

registerOp(
  schema({
    name: 'If',
    doc: 'Runs then_branch when cond is true, else else_branch; the outputs are the branch outputs.',
    inputs: [{ name: 'cond' }, variadic('captures', { optional: true })],
    outputs: [variadic('outputs')],
    attrs: { then_branch: { type: 'graph', required: true }, else_branch: { type: 'graph', required: true } },
    infer(ctx) {
      const then = ctx.attr<Graph>('then_branch');
      const otherwise = ctx.attr<Graph>('else_branch');
      const captures = then.captures.length;
      if (own(ctx.node, then) !== 1) ctx.fail(`If takes a condition and ${captures} captures, got ${ctx.node.inputs.length} operands`);
      checkCaptures(ctx, 'then_branch', then, captures);
      checkCaptures(ctx, 'else_branch', otherwise, captures);
      expectScalarOperand(ctx, 0, 'bool', 'cond');
      for (const [name, g] of [['then_branch', then], ['else_branch', otherwise]] as const) {
        if (g.inputs.length !== 0) ctx.fail(`If ${name} takes no inputs, got ${g.inputs.length}`);
      }
      if (then.outputs.length !== otherwise.outputs.length) {
        ctx.fail(`If branches give ${then.outputs.length} and ${otherwise.outputs.length} outputs`);
      }
      return then.outputs.map((v, i) => merged(ctx, v.type, otherwise.outputs[i]!.type, `output ${i}`));
    },
  }),
);

/**
 * The number of iterations a Loop runs, when known at compile time: M is a constant and the loop cannot stop
 * early (no initial condition or a constant true one, and the body passes its condition through unchanged or
 * returns a constant true).
 */
export function loopTripCount(node: Node): number | undefined {
  const [m, cond] = node.inputs;
  if (!m?.data) return undefined;
  if (cond && !(cond.data && Number(cond.data.data[0]) !== 0)) return undefined;
  const body = getAttr<Graph>(node, 'body');
  const out = body.outputs[0];
  const keepsGoing = out !== undefined && (out === body.inputs[1] || (out.data !== undefined && Number(out.data.data[0]) !== 0));
  if (!keepsGoing) return undefined;
  return Math.max(0, Number(m.data.data[0]));
}

registerOp(
  schema({
    name: 'Loop',
    doc: 'Runs body while the iteration count is below M (when given) and cond holds, carrying values between iterations.',
    inputs: [optional('M'), optional('cond'), variadic('v_initial', { optional: true })],
    outputs: [variadic('outputs')],
    attrs: { body: { type: 'graph', required: true } },
    // The trip count (M, and cond, which can stop it at 0) sets the length of every scan output.
    shapeOperands: [0, 1],
    infer(ctx) {
      const body = ctx.attr<Graph>('body');
      const carried = own(ctx.node, body) - 2;
      if (carried < 0) ctx.fail(`Loop takes M, cond and the initial values before its ${body.captures.length} captures, got ${ctx.node.inputs.length} operands`);
      checkCaptures(ctx, 'body', body, body.captures.length);
      expectScalarOperand(ctx, 0, 'i64', 'M');
      expectScalarOperand(ctx, 1, 'bool', 'cond');
      if (body.inputs.length !== carried + 2) ctx.fail(`Loop body takes ${body.inputs.length} inputs; it needs the iteration number, cond and ${carried} carried values`);
      const scans = body.outputs.length - 1 - carried;
      if (scans < 0) ctx.fail(`Loop body gives ${body.outputs.length} outputs; it needs cond and ${carried} carried values`);
      expectBodyDType(ctx, body.inputs[0], 'i64', 'iteration number input');
      expectBodyDType(ctx, body.inputs[1], 'bool', 'condition input');
      expectBodyDType(ctx, body.outputs[0], 'bool', 'condition output');
      const types: TensorType[] = [];
      for (let i = 0; i < carried; i++) {
        const initial = ctx.input(2 + i);
        expectBodyDType(ctx, body.inputs[2 + i], initial.dtype, `carried input ${i}`);
        types.push(merged(ctx, initial, body.outputs[1 + i]!.type, `loop-carried value ${i}`));
      }
      const trips = loopTripCount(ctx.node);
      for (let k = 0; k < scans; k++) {
        const t = body.outputs[1 + carried + k]!.type;
        types.push({ dtype: t.dtype, shape: [trips ?? UNKNOWN_DIM, ...t.shape] });
      }
      return types;
    },
  }),
);

/** An axis in [-rank, rank) made non-negative, undefined when out of range. */
function axisIn(axis: number, rank: number): number | undefined {
  return Number.isInteger(axis) && axis >= -rank && axis < rank ? (axis < 0 ? axis + rank : axis) : undefined;
}

/** Scan's per-input or per-output axis or direction attribute: absent means 0 for each. */
export function scanAttr(node: Node, name: string, count: number): number[] {
  const given = getAttr<number[]>(node, name);
  return given.length === 0 ? new Array<number>(count).fill(0) : given;
}

/** Scan's shape facts: states N, scan inputs M, scan outputs K, resolved axes and the sequence length. */
export interface ScanLayout {
  states: number;
  scanInputs: number;
  scanOutputs: number;
  inputAxes: number[];
  outputAxes: number[];
  sequenceLength: Dim;
}

export function scanLayout(node: Node, fail: (message: string) => never = (m) => { throw new Error(m); }): ScanLayout {
  const body = getAttr<Graph>(node, 'body');
  const scanInputs = getAttr<number>(node, 'num_scan_inputs');
  const states = own(node, body) - scanInputs;
  if (scanInputs < 1 || states < 0) fail(`Scan num_scan_inputs ${scanInputs} does not fit its ${own(node, body)} operands`);
  const scanOutputs = body.outputs.length - states;
  if (scanOutputs < 0) fail(`Scan body gives ${body.outputs.length} outputs, fewer than its ${states} states`);
  const inAxesRaw = scanAttr(node, 'scan_input_axes', scanInputs);
  const outAxesRaw = scanAttr(node, 'scan_output_axes', scanOutputs);
  if (inAxesRaw.length !== scanInputs) fail(`Scan scan_input_axes has ${inAxesRaw.length} entries for ${scanInputs} scan inputs`);
  if (outAxesRaw.length !== scanOutputs) fail(`Scan scan_output_axes has ${outAxesRaw.length} entries for ${scanOutputs} scan outputs`);
  for (const name of ['scan_input_directions', 'scan_output_directions']) {
    const dirs = scanAttr(node, name, name.includes('input') ? scanInputs : scanOutputs);
    if (dirs.length !== (name.includes('input') ? scanInputs : scanOutputs) || dirs.some((d) => d !== 0 && d !== 1)) fail(`Scan ${name} must hold one 0 or 1 per ${name.includes('input') ? 'scan input' : 'scan output'}`);
  }
  let sequenceLength: Dim = UNKNOWN_DIM;
  const inputAxes = inAxesRaw.map((a, j) => {
    const v = node.inputs[states + j];
    if (!v) return fail(`Scan scan input ${j} is omitted`);
    const axis = axisIn(a, v.type.shape.length);
    if (axis === undefined) return fail(`Scan scan_input_axes ${a} is out of range for ${formatType(v.type)}`);
    const len = v.type.shape[axis]!;
    if (j === 0) sequenceLength = len;
    else if (typeof len === 'number' && typeof sequenceLength === 'number' && len !== sequenceLength) fail(`Scan scan inputs have sequence lengths ${sequenceLength} and ${len}`);
    else if (len !== sequenceLength) sequenceLength = UNKNOWN_DIM;
    return axis;
  });
  const outputAxes = outAxesRaw.map((a, k) => {
    const rank = body.outputs[states + k]!.type.shape.length + 1;
    const axis = axisIn(a, rank);
    return axis ?? fail(`Scan scan_output_axes ${a} is out of range for rank ${rank}`);
  });
  return { states, scanInputs, scanOutputs, inputAxes, outputAxes, sequenceLength };
}

registerOp(
  schema({
    name: 'Scan',
    doc: 'Runs body once per slice of the scan inputs, carrying state values and stacking scan outputs.',
    inputs: [variadic('initial_state_and_scan_inputs')],
    outputs: [variadic('outputs')],
    attrs: {
      body: { type: 'graph', required: true },
      num_scan_inputs: { type: 'int', required: true },
      scan_input_axes: { type: 'ints', default: [] },
      scan_input_directions: { type: 'ints', default: [] },
      scan_output_axes: { type: 'ints', default: [] },
      scan_output_directions: { type: 'ints', default: [] },
    },
    infer(ctx) {
      const body = ctx.attr<Graph>('body');
      checkCaptures(ctx, 'body', body, body.captures.length);
      const layout = scanLayout(ctx.node, (m) => ctx.fail(m, 'BAD_SHAPE'));
      const { states, scanInputs } = layout;
      if (body.inputs.length !== states + scanInputs) ctx.fail(`Scan body takes ${body.inputs.length} inputs; it needs ${states} states and ${scanInputs} scan slices`);
      const types: TensorType[] = [];
      for (let i = 0; i < states; i++) {
        const initial = ctx.input(i);
        expectBodyDType(ctx, body.inputs[i], initial.dtype, `state input ${i}`);
        types.push(merged(ctx, initial, body.outputs[i]!.type, `state ${i}`));
      }
      layout.inputAxes.forEach((axis, j) => {
        const t = ctx.input(states + j);
        const slice = body.inputs[states + j]!.type;
        const expected = t.shape.filter((_, d) => d !== axis);
        if (slice.dtype !== t.dtype || !mergeShapes(slice.shape, expected)) ctx.fail(`Scan body input %${body.inputs[states + j]!.name} is ${formatType(slice)}, but a slice of scan input ${j} is ${formatType({ dtype: t.dtype, shape: expected })}`);
      });
      layout.outputAxes.forEach((axis, k) => {
        const t = body.outputs[states + k]!.type;
        const shape = [...t.shape];
        shape.splice(axis, 0, layout.sequenceLength);
        types.push({ dtype: t.dtype, shape });
      });
      return types;
    },
  }),
);

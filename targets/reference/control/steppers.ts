import { EdgecError, getAttr, makeTensor, scanAttr, scanLayout, type Graph, type Node, type Tensor } from '../../../ir/index.js';
import { sliceAlong, stackAlong } from './slices.js';

/**
 * If, Loop and Scan as state machines the interpreter drives (interpreter.ts): each step either asks for one run
 * of a subgraph on given inputs (its own inputs, then its captures) or hands back the node's outputs. The
 * interpreter runs the subgraph on its explicit frame stack and resumes the stepper with the subgraph's outputs,
 * so nested control flow never nests JS calls.
 */
export type ControlStep = { run: Graph; inputs: Tensor[] } | { done: Tensor[] };

export interface ControlRun {
  /** First call without results; then with the outputs of the subgraph run the previous step asked for. */
  resume(results?: readonly Tensor[]): ControlStep;
}

const truthy = (t: Tensor, what: string, node: Node): boolean => {
  if (t.data.length !== 1) throw new EdgecError('RUNTIME', `${what} must hold one element, got [${t.shape.join(',')}]`, { node: node.label, op: node.op });
  return Number(t.data[0]) !== 0;
};

/** The part shape for stacking zero iterations: the output's type with its stacked dim dropped, unknowns 0. */
function emptyPart(node: Node, output: number, axis: number): { dtype: Tensor['dtype']; shape: number[] } {
  const t = node.outputs[output]?.type ?? { dtype: 'f32' as const, shape: [0] };
  return { dtype: t.dtype, shape: t.shape.filter((_, d) => d !== axis).map((d) => (typeof d === 'number' ? d : 0)) };
}

function runIf(node: Node, args: readonly (Tensor | null)[], captures: Tensor[]): ControlRun {
  let started = false;
  return {
    resume(results) {
      if (started) return { done: [...results!] };
      started = true;
      const branch = truthy(args[0]!, 'If condition', node) ? 'then_branch' : 'else_branch';
      return { run: getAttr<Graph>(node, branch), inputs: captures };
    },
  };
}

function runLoop(node: Node, args: readonly (Tensor | null)[], captures: Tensor[]): ControlRun {
  const body = getAttr<Graph>(node, 'body');
  const [m, c] = args;
  const limit = m ? Number(m.data[0]) : Infinity;
  let cond = c ? truthy(c, 'Loop condition', node) : true;
  let carried = args.slice(2, args.length - captures.length) as Tensor[];
  const scans: Tensor[][] = Array.from({ length: body.outputs.length - 1 - carried.length }, () => []);
  let iteration = 0;
  return {
    resume(results) {
      if (results) {
        cond = truthy(results[0]!, 'Loop body condition', node);
        carried = results.slice(1, 1 + carried.length);
        scans.forEach((list, k) => list.push(results[1 + carried.length + k]!));
        iteration++;
      }
      if (iteration < limit && cond) {
        const inputs = [makeTensor('i64', [], [BigInt(iteration)]), makeTensor('bool', [], [1]), ...carried, ...captures];
        return { run: body, inputs };
      }
      const stacked = scans.map((list, k) => stackAlong(list, 0, emptyPart(node, carried.length + k, 0), `Loop scan output ${k}`));
      return { done: [...carried, ...stacked] };
    },
  };
}

function runScan(node: Node, args: readonly (Tensor | null)[], captures: Tensor[]): ControlRun {
  const body = getAttr<Graph>(node, 'body');
  const layout = scanLayout(node, (m) => {
    throw new EdgecError('RUNTIME', m, { node: node.label, op: node.op });
  });
  const { states: n, scanInputs, scanOutputs } = layout;
  const inputDirections = scanAttr(node, 'scan_input_directions', scanInputs);
  const outputDirections = scanAttr(node, 'scan_output_directions', scanOutputs);
  const scanned = args.slice(n, n + scanInputs) as Tensor[];
  const length = scanned[0]!.shape[layout.inputAxes[0]!]!;
  scanned.forEach((t, j) => {
    if (t.shape[layout.inputAxes[j]!] !== length) throw new EdgecError('RUNTIME', `Scan scan inputs have sequence lengths ${length} and ${t.shape[layout.inputAxes[j]!]}`, { node: node.label, op: node.op });
  });
  let states = args.slice(0, n) as Tensor[];
  const outs: Tensor[][] = Array.from({ length: scanOutputs }, () => []);
  let step = 0;
  return {
    resume(results) {
      if (results) {
        states = results.slice(0, n);
        outs.forEach((list, k) => list.push(results[n + k]!));
        step++;
      }
      if (step < length) {
        const slices = scanned.map((t, j) => sliceAlong(t, layout.inputAxes[j]!, inputDirections[j] ? length - 1 - step : step));
        return { run: body, inputs: [...states, ...slices, ...captures] };
      }
      const stacked = outs.map((list, k) => {
        const ordered = outputDirections[k] ? [...list].reverse() : list;
        return stackAlong(ordered, layout.outputAxes[k]!, emptyPart(node, n + k, layout.outputAxes[k]!), `Scan scan output ${k}`);
      });
      return { done: [...states, ...stacked] };
    },
  };
}

const STEPPERS: Record<string, (node: Node, args: readonly (Tensor | null)[], captures: Tensor[]) => ControlRun> = {
  If: runIf,
  Loop: runLoop,
  Scan: runScan,
};

/** Starts running a control-flow node on its operands (captures last); undefined for an op without a stepper. */
export function startControlFlow(node: Node, args: readonly (Tensor | null)[], captureCount: number): ControlRun | undefined {
  const stepper = STEPPERS[node.op];
  if (!stepper) return undefined;
  return stepper(node, args, args.slice(args.length - captureCount) as Tensor[]);
}

export function isControlFlowOp(op: string): boolean {
  return op in STEPPERS;
}

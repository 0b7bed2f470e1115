import { captureCount, EdgecError, Graph, type Node, type Tensor, type Value } from '../../../ir/index.js';
import { getKernel, kernelContext } from '../kernels/registry.js';
import { startControlFlow, type ControlRun } from './steppers.js';

/**
 * Runs a graph on the reference kernels, control flow included, with an explicit stack of frames: a frame is one
 * run of one graph (its values, the next node, and the control-flow node it is in the middle of, if any). A
 * control-flow node pushes a frame for each subgraph run its stepper asks for and resumes with the frame's
 * outputs, so however deeply the model nests If, Loop and Scan, the JS call stack stays flat. Intermediates are
 * released after their last use within their frame.
 */
interface Frame {
  graph: Graph;
  env: Map<Value, Tensor>;
  pc: number;
  lastUse: Map<Value, number>;
  keep: Set<Value>;
  control?: ControlRun;
}

export interface MachineOptions {
  /** Called with every value of the outermost graph as it is computed (inputs and node outputs). */
  observe?: (value: Value, tensor: Tensor) => void;
}

function frame(graph: Graph, inputs: readonly Tensor[]): Frame {
  const env = new Map<Value, Tensor>();
  for (const c of graph.constants) env.set(c, c.data!);
  const formal = [...graph.inputs, ...graph.captures];
  if (inputs.length !== formal.length) throw new EdgecError('RUNTIME', `graph @${graph.name} takes ${formal.length} inputs and captures, got ${inputs.length}`);
  formal.forEach((v, i) => env.set(v, inputs[i]!));
  const lastUse = new Map<Value, number>();
  graph.nodes.forEach((node, i) => node.inputs.forEach((v) => v && lastUse.set(v, i)));
  return { graph, env, pc: 0, lastUse, keep: new Set([...graph.outputs, ...graph.constants]) };
}

function fail(node: Node, message: string): never {
  throw new EdgecError('RUNTIME', message, { node: node.label, op: node.op });
}

/** Runs `graph` on its inputs then captures, in order; returns its outputs in order. */
export function runGraphFrames(graph: Graph, inputs: readonly Tensor[], options: MachineOptions = {}): Tensor[] {
  const stack: Frame[] = [frame(graph, inputs)];
  if (options.observe) graph.inputs.forEach((v, i) => options.observe!(v, inputs[i]!));
  let delivered: Tensor[] | undefined;
  for (;;) {
    const f = stack[stack.length - 1]!;
    let results: readonly Tensor[] | undefined;
    const node = f.graph.nodes[f.pc];
    if (f.control) {
      const step = f.control.resume(delivered);
      delivered = undefined;
      if ('run' in step) {
        stack.push(frame(step.run, step.inputs));
        continue;
      }
      f.control = undefined;
      results = step.done;
    } else if (!node) {
      const outputs = f.graph.outputs.map((v) => f.env.get(v)!);
      stack.pop();
      if (stack.length === 0) return outputs;
      delivered = outputs;
      continue;
    } else {
      const args = node.inputs.map((v) => {
        if (!v) return null;
        const t = f.env.get(v);
        if (!t) fail(node, `operand %${v.name} has no value`);
        return t!;
      });
      const control = startControlFlow(node, args, captureCount(node));
      if (control) {
        f.control = control;
        continue;
      }
      const kernel = getKernel(node.op);
      if (!kernel) fail(node, `the reference interpreter has no kernel for ${node.op}`);
      try {
        results = kernel!(args, kernelContext(node));
      } catch (e) {
        if (e instanceof EdgecError) throw e;
        fail(node, `kernel failed: ${(e as Error).message}`);
      }
    }
    const done = f.graph.nodes[f.pc]!;
    done.outputs.forEach((out, i) => {
      const t = results![i];
      if (!t) fail(done, `kernel produced no value for output ${i}`);
      f.env.set(out, t!);
      if (stack.length === 1) options.observe?.(out, t!);
    });
    for (const v of done.inputs) if (v && f.lastUse.get(v) === f.pc && !f.keep.has(v)) f.env.delete(v);
    f.pc++;
  }
}

/** Runs one control-flow node on its operands' tensors (for constant folding and the kernel table). */
export function runControlNode(node: Node, args: readonly (Tensor | null)[]): Tensor[] {
  const inputs: Value[] = [];
  const feeds: Tensor[] = [];
  node.inputs.forEach((v, i) => {
    if (v && !inputs.includes(v)) {
      inputs.push(v);
      feeds.push(args[i]!);
    }
  });
  return runGraphFrames(new Graph('control', inputs, node.outputs, [], [node]), feeds);
}

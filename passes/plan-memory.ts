import { dtypeBytes, EdgecError, formatType, isStaticShape, numel, opTraits, shapeOperands, type Graph, type Node, type Value } from '../ir/index.js';
import { IntervalIndex } from './interval-index.js';
import type { Pass } from './pass.js';

/**
 * plan-memory: gives every non-constant value (graph inputs, intermediates, outputs) a byte offset in one arena,
 * so that artifacts allocate nothing at run time. Values whose lifetimes do not overlap share bytes; an op
 * whose schema says it runs in place (OpTraits.inPlace: elementwise ops) writes its result over a same-shaped
 * operand that dies at that op, and views (OpTraits.view: Reshape, Flatten...) take their operand's bytes,
 * which then costs no copy at all.
 *
 * Placement is greedy by size (largest first, lowest free offset), the strategy TFLite's arena planner uses;
 * ties are broken by definition order so the plan is deterministic.
 */

export const ARENA_ALIGNMENT = 16; // one v128; also keeps every dtype naturally aligned

export interface MemoryPlanReport {
  arenaBytes: number;
  /** What the values would need with a buffer each. */
  naiveBytes: number;
  values: number;
  /** Values that share their operand's bytes (in-place ops and views). */
  inPlace: number;
}

const align = (n: number) => Math.ceil(n / ARENA_ALIGNMENT) * ARENA_ALIGNMENT;

export function valueBytes(v: Value): number {
  if (!isStaticShape(v.type.shape)) {
    const origin = dataDependentOrigin(v, new Map());
    if (origin) {
      // The operands whose values decide the shape, as the op's schema lists them (OpSchema.shapeOperands).
      const deciding = shapeOperands(origin.op).map((i) => origin.inputs[i]);
      const named = deciding.filter((x): x is Value => !!x && !x.isConstant).map((x) => `%${x.name}`).join(', ');
      throw new EdgecError(
        'BAD_SHAPE',
        `plan-memory needs static shapes, but %${v.name} is ${formatType(v.type)}: its shape depends on the values of ${named || 'its operands'} ` +
          `(read by ${origin.op} '${origin.label}'), known only at run time, which the static arena cannot hold; ` +
          'make those values constants (bind the graph inputs they come from with --bind, or fold them) to compile this graph',
      );
    }
    throw new EdgecError('BAD_SHAPE', `plan-memory needs static shapes, but %${v.name} is ${formatType(v.type)}; fix input dims with --input-shape`);
  }
  return numel(v.type.shape) * dtypeBytes(v.type.dtype);
}

/**
 * The node a value's non-static shape starts at when that shape depends on run-time values rather than on
 * symbolic input dims: walking producers back, a node whose operands all have static shapes but whose result
 * does not. null when a symbolic graph input is behind it (then --input-shape is the fix).
 */
function dataDependentOrigin(v: Value, memo: Map<Value, Node | null>): Node | null {
  const known = memo.get(v);
  if (known !== undefined) return known;
  const node = v.producer;
  let origin: Node | null = null;
  if (node) {
    const dynamic = node.inputs.filter((x): x is Value => !!x && !isStaticShape(x.type.shape));
    origin = node;
    for (const x of dynamic) {
      const o = dataDependentOrigin(x, memo);
      if (!o) {
        origin = null;
        break;
      }
      if (origin === node) origin = o;
    }
  }
  memo.set(v, origin);
  return origin;
}

/** A set of values sharing one buffer: its size and the steps during which it is live. */
interface Buffer {
  values: Value[];
  bytes: number;
  start: number;
  end: number;
  offset: number;
}

function buildBuffers(graph: Graph): { buffers: Buffer[]; inPlace: number } {
  const last = graph.nodes.length; // graph outputs stay live to the end
  const lastUse = new Map<Value, number>();
  graph.nodes.forEach((node, step) => node.inputs.forEach((v) => v && !v.isConstant && lastUse.set(v, step)));
  for (const v of graph.outputs) lastUse.set(v, last);
  const bufferOf = new Map<Value, Buffer>();
  const buffers: Buffer[] = [];
  let inPlace = 0;
  const open = (v: Value, step: number) => {
    const b: Buffer = { values: [v], bytes: valueBytes(v), start: step, end: Math.max(step, lastUse.get(v) ?? step), offset: -1 };
    bufferOf.set(v, b);
    buffers.push(b);
  };
  for (const v of graph.inputs) open(v, -1);
  graph.nodes.forEach((node, step) => {
    node.outputs.forEach((out, i) => {
      const host = i === 0 ? reusableOperand(node, out, step, lastUse, graph) : undefined;
      const b = host ? bufferOf.get(host) : undefined;
      if (b) {
        b.values.push(out);
        b.end = Math.max(b.end, lastUse.get(out) ?? step);
        bufferOf.set(out, b);
        inPlace++;
      } else {
        open(out, step);
      }
    });
  });
  return { buffers, inPlace };
}

/** The operand whose bytes the node's output may take over, if any. */
function reusableOperand(node: Node, out: Value, step: number, lastUse: Map<Value, number>, graph: Graph): Value | undefined {
  const { inPlace, view } = opTraits(node.op);
  if (!inPlace && !view) return undefined;
  const bytes = valueBytes(out);
  const candidates = view ? node.inputs.slice(0, 1) : node.inputs;
  for (const v of candidates) {
    if (!v || v.isConstant || graph.inputs.includes(v) || graph.outputs.includes(v)) continue;
    if (lastUse.get(v) !== step || valueBytes(v) !== bytes || v.type.dtype !== out.type.dtype) continue;
    // A value read twice by this node (x * x) may still be overwritten: the kernel reads each element before writing it.
    if (!view && v.type.shape.join() !== out.type.shape.join()) continue;
    return v;
  }
  return undefined;
}

/** Greedy-by-size placement: each buffer at the lowest offset free of every time-overlapping placed buffer. */
function place(buffers: Buffer[]): number {
  const order = buffers.map((b, i) => ({ b, i })).sort((x, y) => y.b.bytes - x.b.bytes || x.i - y.i);
  const placed = new IntervalIndex(buffers);
  let arena = 0;
  for (const { b } of order) {
    const clashes = placed.overlapping(b.start, b.end).sort((x, y) => x.offset - y.offset);
    let offset = 0;
    for (const p of clashes) {
      if (offset + align(b.bytes) <= p.offset) break;
      offset = Math.max(offset, p.offset + align(p.bytes));
    }
    b.offset = offset;
    placed.add(b);
    arena = Math.max(arena, offset + align(b.bytes));
  }
  return arena;
}

export function planMemory(graph: Graph): MemoryPlanReport {
  const { buffers, inPlace } = buildBuffers(graph);
  const arenaBytes = place(buffers);
  let naiveBytes = 0;
  for (const b of buffers) {
    for (const v of b.values) {
      v.arenaOffset = b.offset;
      naiveBytes += align(valueBytes(v));
    }
  }
  graph.metadata['edgec.arena_bytes'] = String(arenaBytes);
  return { arenaBytes, naiveBytes, values: buffers.reduce((n, b) => n + b.values.length, 0), inPlace };
}

/**
 * Checks a plan: every non-constant value is placed, inside the arena, and no two values that are live at the
 * same time overlap in bytes unless one is written in place over the other by an op that allows it.
 */
export function checkMemoryPlan(graph: Graph): void {
  const arena = Number(graph.metadata['edgec.arena_bytes']);
  const { buffers } = buildBuffers(graph);
  for (const b of buffers) {
    for (const v of b.values) {
      if (v.arenaOffset === undefined) throw new EdgecError('VERIFY', `%${v.name} has no arena offset`);
      if (v.arenaOffset !== b.values[0]!.arenaOffset) throw new EdgecError('VERIFY', `%${v.name} should share the bytes of %${b.values[0]!.name}`);
      if (v.arenaOffset % ARENA_ALIGNMENT !== 0 || v.arenaOffset + valueBytes(v) > arena) {
        throw new EdgecError('VERIFY', `%${v.name} at ${v.arenaOffset} (+${valueBytes(v)} bytes) is misaligned or outside the ${arena}-byte arena`);
      }
    }
  }
  for (let i = 0; i < buffers.length; i++) {
    for (let j = i + 1; j < buffers.length; j++) {
      const a = buffers[i]!;
      const b = buffers[j]!;
      const liveTogether = a.start <= b.end && b.start <= a.end;
      const offA = a.values[0]!.arenaOffset!;
      const offB = b.values[0]!.arenaOffset!;
      const overlap = offA < offB + b.bytes && offB < offA + a.bytes;
      if (liveTogether && overlap) {
        throw new EdgecError('VERIFY', `%${a.values[0]!.name} and %${b.values[0]!.name} are live together but overlap in the arena`);
      }
    }
  }
}

export const planMemoryPass: Pass = {
  name: 'plan-memory',
  modelOnly: true,
  description: 'assign every value an offset in one arena by liveness, with in-place elementwise ops and free reshapes',
  run(graph, _options, context) {
    const report = planMemory(graph);
    context.reports.set('plan-memory', report);
    return true;
  },
};

import { EdgecError, isStaticShape, type Node } from '../../ir/index.js';

/**
 * The code-generation skeleton every compiling target shares. A kernel family claims a set of IR ops, says
 * per node whether it can compile it (null, or the reason shown with the node's name), how much scratch
 * space the node needs while it runs, and emits the node's code into the target's context. Only the
 * context (`Context`: addresses, constant pool, function table) and the code's form (`Code`: a binaryen
 * expression, C statements, a list of dispatches) differ between targets.
 */
export interface Kernel<Context, Code, Options = void> {
  /** IR ops this family handles. */
  readonly ops: readonly string[];
  /**
   * null when the node is supported, else the reason it is not. A family names its own reasons first (an
   * operand that must be constant, the usual cause of a symbolic shape, says more than the shape does); the
   * table then checks every operand and result for a static shape, whether or not the family did.
   */
  check(node: Node): string | null;
  /**
   * Reasons that read the node's dims (sizes, layouts, geometry), asked only once the table has found every
   * operand and result static, so a family never computes with a symbolic dim; default none.
   */
  checkDims?(node: Node): string | null;
  /** Scratch bytes the node needs while it runs (im2col buffers, transformed tiles); default none. */
  scratchBytes?(node: Node, options: Options): number;
  /** The node's code. */
  emit(node: Node, ctx: Context): Code;
}

/** What the table needs of a family (webgpu's have no scratch; rvv's take no options). */
export interface KernelFamily {
  readonly ops: readonly string[];
  check(node: Node): string | null;
  checkDims?(node: Node): string | null;
}

/** Reason a node has an operand or result of symbolic shape (kernels are specialized to static shapes), or null. */
export function symbolicShapeProblem(node: Node, target: string): string | null {
  for (const v of [...node.inputs, ...node.outputs]) {
    if (v && !isStaticShape(v.type.shape)) return `%${v.name} has a symbolic shape; the ${target} target needs static shapes`;
  }
  return null;
}

/**
 * null when `kernel` can compile the node, else why not: no family, the family's reason, a symbolic shape, or
 * the family's reason about dims. This is the one place static shapes are checked: no family does it itself.
 */
export function checkNode(node: Node, target: string, kernel: KernelFamily | undefined): string | null {
  if (!kernel) return `no ${target} kernel for ${node.op}`;
  return kernel.check(node) ?? symbolicShapeProblem(node, target) ?? kernel.checkDims?.(node) ?? null;
}

/**
 * A target's kernel families by op. Two families claiming one op is a programming error caught when the
 * table is built (module load), not a silent first-wins.
 */
export class KernelTable<K extends KernelFamily> {
  private readonly byOp = new Map<string, K>();

  constructor(readonly target: string, families: readonly K[]) {
    for (const family of families) {
      for (const op of family.ops) {
        if (this.byOp.has(op)) throw new EdgecError('VERIFY', `two ${target} kernel families claim ${op}`);
        this.byOp.set(op, family);
      }
    }
  }

  kernelFor(op: string): K | undefined {
    return this.byOp.get(op);
  }

  /** Every op some family claims, sorted. */
  ops(): string[] {
    return [...this.byOp.keys()].sort();
  }

  /** null when the target can compile the node, else why not (see checkNode). */
  check(node: Node): string | null {
    return checkNode(node, this.target, this.byOp.get(node.op));
  }
}

import type { Graph, Node } from '../ir/index.js';
import type { OptLevel } from '../passes/pipelines.js';

/** What a compiled model is, per target: bytes to write to a file, and what the artifact holds. */
export interface Artifact {
  /** The artifact file's bytes. */
  readonly bytes: Uint8Array;
  /**
   * Side files written next to the artifact, by file name (rvv: the C sources, header, object and library);
   * `bytes` is the artifact itself.
   */
  readonly files?: Readonly<Record<string, Uint8Array>>;
  /** File name extension, with the dot. */
  readonly extension: string;
  /** Facts for reports (sizes, arena bytes, kernel counts...). */
  readonly summary: Record<string, number | string>;
}

/** What every target exports: a name, its pipelines, which nodes it can run, and how it compiles a graph. */
export interface Target {
  readonly name: string;
  readonly description: string;
  /** Pass pipeline run before code generation at each optimization level. */
  pipeline(level: OptLevel): string;
  /** null when the target can compile the node, else why not. */
  check(node: Node): string | null;
  /** Code generation from an optimized graph (the pipeline has run). */
  compile(graph: Graph, options: Record<string, unknown>): Artifact;
}

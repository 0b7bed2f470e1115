import type { Graph, Tensor } from '../../ir/index.js';
import type { Target } from '../../targets/index.js';
import type { BoardProfile } from '../../targets/boards.js';
import type { InputSignature } from '../feeds.js';
import type { ToolVersion } from '../provenance/build-info.js';
import type { ProvenanceRecord } from '../provenance/verify.js';
import type { Progress } from '../progress.js';
import type { ProfileReport } from '../bench/profile.js';

/**
 * What the compiler knows about a target beyond its code generator: how the command line sets its options, how
 * its artifact runs in this process, how it is sealed and read back, and how it is benchmarked. The CLI, the
 * bench engine and the conformance runner iterate over these entries (registry.ts) instead of naming targets,
 * so a new target is its folder under targets/ plus one entry.
 */
export interface TargetEntry {
  /** The code generator (targets/<name>/): name, pipelines, node check, compile. */
  readonly target: Target;
  /** How its artifacts run in this process, for reports (docs/ops.md): "under qemu-user at VLEN 128, 256 and 512". */
  readonly runsOn: string;
  /** Extension of its artifact file, so `edgec run model<ext>` finds the target that runs it. */
  readonly artifactExtension: string;
  /** Boolean `edgec compile` flags that set this target's options (yargs option specs, shown in --help). */
  readonly compileFlags?: Readonly<Record<string, CompileFlag>>;
  /** The code generator's options from the command line's flags and the board profile. */
  options(flags: Readonly<Record<string, unknown>>, board: BoardProfile | null): Record<string, unknown>;
  /** What this machine lacks to run the target's artifacts (a tool, a GPU), or null when it can. */
  missing(): Promise<string | null>;
  /** Opens a session for running artifacts in this process (holds what loads share, e.g. a GPU device). */
  session(context: SessionContext): Promise<TargetSession>;
  /**
   * Runs many compiled graphs in one go (rvv: one bundled program under qemu for all of them); without it, each
   * runs through a session. Resolves to every graph's outputs per variant (rvv: per VLEN).
   */
  runBatch?(graphs: readonly Graph[], feeds: readonly Record<string, Tensor>[]): Promise<BatchVariant[]>;
  /** How its artifact carries the provenance seal, or null when it carries none. */
  readonly seal: SealSpec | null;
  /** How `edgec bench` measures it, or null when it is not benchmarked. */
  readonly bench: BenchSpec | null;
}

export interface CompileFlag {
  readonly type: 'boolean';
  readonly default: boolean;
  readonly describe: string;
}

export interface SessionContext {
  /** rvv: the vector length qemu emulates. */
  readonly vlen: number;
}

export interface TargetSession {
  /** What runs, for reports ("wasm", "rvv (qemu, VLEN 256)"). */
  readonly label: string;
  /**
   * Loads an artifact; `graph` is the optimized graph it was compiled from, when compiled in this process (the
   * reference runs it directly), `file` names the artifact in messages.
   */
  open(bytes: Uint8Array, from?: { graph?: Graph; file?: string }): Promise<LoadedArtifact>;
  /** Releases what the session holds. */
  close(): void;
}

export interface LoadedArtifact {
  readonly inputs: readonly InputSignature[];
  /** One inference; the outputs are copies (the next run cannot overwrite them). */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  close(): void;
}

export interface BatchVariant {
  /** Which run this is ("VLEN 128"); empty when there is one. */
  readonly variant: string;
  /** Outputs of each graph, in order. */
  readonly outputs: readonly Record<string, Tensor>[];
}

export interface SealSpec {
  /** Tools whose versions the provenance records (the compiler first). */
  tools(): ToolVersion[];
  /** The seal read back from a sealed artifact. */
  read(bytes: Uint8Array): ProvenanceRecord;
}

/** Raw outputs of one run, by output name, as the checks compare them. */
export type FlatOutputs = Record<string, ArrayLike<number>>;

export interface BenchSpec {
  /** Relative tolerance of the fp32 check against the reference (int8 is checked bit-exact). */
  readonly rtol: number;
  /** Code generator options of benchmark builds. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * How it is measured: timed with the other in-process contenders, timed in a loop of its own (its threads
   * would load the others'), or counted (instructions, not time).
   */
  readonly measure: 'timed' | 'timed-alone' | 'counted';
  /** A line for the bench report saying how it was measured (null: nothing beyond the shared timing). */
  note(options: { vlen: number }): string | null;
  /** Loads a sealed build and runs it once: its outputs to check, and how to time or count it. */
  prepare(build: BenchBuild, context: BenchContext): Promise<BenchPrepared>;
}

export interface BenchBuild {
  bytes: Uint8Array;
  /** The optimized graph the artifact was compiled from. */
  graph: Graph;
  precision: string;
}

export interface BenchContext {
  feeds: Record<string, Tensor>;
  vlen: number;
  progress: Progress;
  /** A scratch folder for this benchmark run, removed at its end. */
  scratch(): string;
  /** Per-run memo shared by the builds of one target (a tool built once). */
  memo<T>(key: string, make: () => T): T;
}

export interface BenchPrepared {
  outputs: FlatOutputs;
  /** One timed inference (timed targets). */
  run?: () => unknown;
  /** Dynamic instruction counts (counted targets). */
  instructions?: { total: number; kernels: { node: string; op: string; value: number; share: number }[] };
  /** A per-kernel profile of this build (targets with profiling builds). */
  profile?: (options: { warmup: number; runs: number }) => Promise<ProfileReport>;
  release?: () => unknown;
}

import { EdgecError } from '../../ir/index.js';
import type { TargetEntry } from './entry.js';
import { referenceEntry } from './reference.js';
import { rvvEntry } from './rvv.js';
import { wasmEntry } from './wasm.js';
import { webgpuEntry } from './webgpu.js';

export type { TargetEntry } from './entry.js';

/**
 * The one list of targets the compiler drives. Shipped: the four below, in this order (it is the order of the
 * CLI's choices, the bench table and the columns of docs/ops.md). registerTarget adds one more (a test target;
 * a plug-in), after which it appears everywhere the list is read.
 */
const SHIPPED: readonly TargetEntry[] = [referenceEntry, wasmEntry, rvvEntry, webgpuEntry];

const entries = new Map<string, TargetEntry>(SHIPPED.map((e) => [e.target.name, e]));

export function registerTarget(entry: TargetEntry): void {
  if (entries.has(entry.target.name)) throw new EdgecError('USAGE', `target '${entry.target.name}' is registered already`);
  entries.set(entry.target.name, entry);
}

/** Every registered target, shipped ones first. */
export function targetEntries(): TargetEntry[] {
  return [...entries.values()];
}

/** Every target but the reference interpreter, the oracle the others are checked against. */
export function compiledTargets(): TargetEntry[] {
  return targetEntries().filter((e) => e !== referenceEntry);
}

export function targetNames(): string[] {
  return [...entries.keys()];
}

export function findTargetEntry(name: string): TargetEntry | undefined {
  return entries.get(name);
}

export function targetEntry(name: string): TargetEntry {
  const entry = entries.get(name);
  if (!entry) throw new EdgecError('USAGE', `unknown target '${name}' (targets: ${targetNames().join(', ')})`);
  return entry;
}

/** The target whose artifacts have this file extension (with the dot). */
export function targetForArtifact(extension: string): TargetEntry | undefined {
  return targetEntries().find((e) => e.artifactExtension === extension);
}

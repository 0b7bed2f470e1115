import { EdgecError } from '../ir/index.js';
import { referenceTarget } from './reference/index.js';
import { rvvTarget } from './rvv/index.js';
import type { Target } from './target.js';
import { wasmTarget } from './wasm/index.js';
import { webgpuTarget } from './webgpu/index.js';

export type { Artifact, Target } from './target.js';

/** Every target by name. */
export const TARGETS: ReadonlyMap<string, Target> = new Map([referenceTarget, wasmTarget, rvvTarget, webgpuTarget].map((t) => [t.name, t]));

export function targetNamed(name: string): Target {
  const target = TARGETS.get(name);
  if (!target) throw new EdgecError('USAGE', `unknown target '${name}' (targets: ${[...TARGETS.keys()].join(', ')})`);
  return target;
}

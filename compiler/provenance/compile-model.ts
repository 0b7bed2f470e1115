import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { bindingRecord, importOnnxFile, resolveFileBindings, type Bindings } from '../onnx/index.js';
import type { Tensor } from '../../ir/index.js';
import { compileGraph, type CompileResult, type OptimizeOptions } from '../driver.js';
import type { Contract } from '../../runtime/contract.js';
import { sha256Hex } from './canonical.js';
import { canSeal } from './embed.js';
import { provenanceError } from './errors.js';
import { resolveContract, type ResolvedContract } from './contract-sources.js';
import { readSigningKey } from './keys.js';
import { sealArtifact, type SealedArtifact } from './seal.js';
import { findTargetEntry } from '../targets/registry.js';

/** Compile-and-seal, shared by `edgec compile` and the library's compileModel(). */

export interface SealOptions {
  /** A contract file (JSON or YAML) or a contract object; merged over the model's metadata_props contract. */
  contract?: string | Contract;
  /** Ed25519 private key: PEM text, .pem file, or KeyObject. */
  signingKey?: string | KeyObject;
  /** The artifact's file name in the seal (default: the model's name with the target's extension). */
  artifactName?: string;
  board?: string | null;
  builderId?: string;
}

export interface SealContext extends SealOptions {
  modelPath: string;
  /** The build options to record (what the user chose; no paths). */
  options: Record<string, unknown>;
  startedOn?: Date;
}

/** Contract allows the target? Checked before compiling so a forbidden build fails early. */
export function checkContractTarget(contract: Contract, target: string, board: string | null | undefined, file?: string): void {
  if (contract.targets && !contract.targets.includes(target) && !(board && contract.targets.includes(board))) {
    throw provenanceError('CONTRACT_INVALID', `the contract allows targets ${contract.targets.join(', ') || '(none)'}, not '${target}'`, file ? { file } : {});
  }
}

/** The build's contract (metadata_props, then the given file or object), checked against the target up front. */
export function prepareContract(metadata: Record<string, string>, context: { contract?: string | Contract; modelPath: string; target: string; board?: string | null }): ResolvedContract {
  const resolved = resolveContract(metadata, context.contract, context.modelPath);
  // A target whose artifact carries no seal (the reference's IR, a debugging oracle) is not a deployment: no clause applies.
  if (findTargetEntry(context.target)?.seal) checkContractTarget(resolved.contract, context.target, context.board, typeof context.contract === 'string' ? context.contract : context.modelPath);
  return resolved;
}

/** Seals a compile result (null when the artifact kind carries no seal, e.g. the reference target's IR text). */
export function sealCompileResult(result: CompileResult, context: SealContext, resolved: ResolvedContract, metadata: Record<string, string>): SealedArtifact | null {
  const bytes = result.artifact.bytes;
  if (!canSeal(bytes)) return null;
  let modelBytes: Buffer;
  try {
    modelBytes = readFileSync(context.modelPath);
  } catch (e) {
    throw provenanceError('SEAL_INVALID', `cannot read the model to hash it: ${(e as Error).message}`, { file: context.modelPath });
  }
  return sealArtifact(bytes, {
    artifactName: context.artifactName ?? basename(context.modelPath, extname(context.modelPath)) + result.artifact.extension,
    source: { name: basename(context.modelPath), sha256: sha256Hex(modelBytes), version: metadata['onnx.model_version'] ?? null },
    target: result.target.name,
    board: context.board ?? null,
    options: context.options,
    pipeline: result.pipeline,
    quantization: null,
    contract: resolved.contract,
    contractSources: resolved.sources,
    builderId: context.builderId,
    startedOn: context.startedOn,
    signingKey: context.signingKey,
  });
}

export interface CompileModelOptions extends SealOptions, Omit<OptimizeOptions, 'print' | 'printAfter' | 'timePasses'> {
  inputShapes?: Record<string, number[]>;
  /** Inputs fixed to constants (`--bind`); recorded in the seal. */
  bind?: Bindings;
  targetOptions?: Record<string, unknown>;
}

export interface CompiledModel extends CompileResult {
  /** The sealed artifact (null for artifacts that carry no seal). */
  sealed: SealedArtifact | null;
  /** The bytes to write: sealed when possible. */
  bytes: Uint8Array;
}

/** Imports an ONNX model, compiles it for a target and seals the artifact: `edgec compile` as a function. */
export function compileModel(path: string, options: CompileModelOptions = {}): CompiledModel {
  const startedOn = new Date();
  const bound = resolveFileBindings(path, options.bind ?? {});
  const graph = importOnnxFile(path, { inputShapes: options.inputShapes, bind: Object.fromEntries(bound) });
  const metadata = { ...graph.metadata };
  const target = options.target ?? 'wasm';
  const resolved = prepareContract(metadata, { contract: options.contract, modelPath: path, target, board: options.board });
  const signingKey = options.signingKey === undefined ? undefined : readSigningKey(options.signingKey);
  const result = compileGraph(graph, { ...options, target, targetOptions: options.targetOptions ?? {} });
  const context = {
    ...options,
    signingKey,
    modelPath: path,
    startedOn,
    options: recordedOptions({ optLevel: options.optLevel ?? 2, passes: options.passes, inputShapes: options.inputShapes, bind: bound, targetOptions: options.targetOptions }),
  };
  const sealed = sealCompileResult(result, context, resolved, metadata);
  return { ...result, sealed, bytes: sealed?.bytes ?? result.artifact.bytes };
}

/** The options a seal records: what changes the output, nothing machine-specific. */
export function recordedOptions(o: {
  optLevel: number;
  passes?: string;
  inputShapes?: Record<string, number[]>;
  bind?: ReadonlyMap<string, Tensor>;
  targetOptions?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    optLevel: o.optLevel,
    ...(o.passes !== undefined ? { passes: o.passes } : {}),
    ...(o.inputShapes && Object.keys(o.inputShapes).length ? { inputShapes: o.inputShapes } : {}),
    ...(o.bind && o.bind.size ? { bind: bindingRecord(o.bind) } : {}),
    targetOptions: o.targetOptions ?? {},
  };
}

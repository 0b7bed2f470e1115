/**
 * The edgec library API; the CLI is a thin layer over it.
 */
import { EdgecError, type Graph, type Tensor } from '../ir/index.js';
import { referenceTarget, runGraph } from '../targets/reference/index.js';
import { summarizeModel, type ModelSummary } from './inspect.js';
import { importOnnxFile, outlineOnnxFile, type Bindings } from './onnx/index.js';
import { graphSignature, staticInputShapes } from './feeds.js';
import { supportMatrix, type SupportMatrix, type SupportOptions } from './support.js';

export { importOnnx, importOnnxFile, decodeTensorProto, encodeTensorProto, readTensorProtoFile, parseBindFlags, resolveFileBindings, type BindValue, type Bindings } from './onnx/index.js';
export { summarizeModel, nodeMacs, type ModelSummary } from './inspect.js';
export { decodeNpy, encodeNpy } from './io/npy.js';
export { readTensorFile, writeTensorFile } from './io/tensor-files.js';
export { prepareFeeds, parseInputFiles, parseInputShapes, readInputFiles, staticInputShapes, graphSignature, type InputSignature } from './feeds.js';
export {
  compileModel, sealArtifact, verifyArtifact, readProvenance, generateKeyPair, writeKeyPair, validateContract, resolveContract, spdxExpressionProblem,
  type CompileModelOptions, type CompiledModel, type SealInputs, type SealedArtifact, type SealReport, type ProvenanceRecord, type KeyPair, type Contract,
} from './provenance/index.js';
export { quantizeModel, calibrationInputs, collectStats, calibratedRanges, exportQdqOnnx, type QuantizeModelOptions, type QuantizedModel, type CalibrationMethod } from './quantize/api.js';
export { optimize, compileGraph, unsupportedNodes, type OptimizeOptions, type OptimizeResult, type CompileResult } from './driver.js';
export { supportMatrix, type SupportMatrix, type SupportOptions, type TargetSupport, type OpSupport } from './support.js';
export { registerTarget, targetEntries, targetNames } from './targets/registry.js';
export type { TargetEntry } from './targets/entry.js';

export interface LoadOptions {
  /** Fix symbolic or unknown input dims, e.g. { input: [1, 32, 64] }. */
  inputShapes?: Record<string, number[]>;
  /** Fix inputs to constants, e.g. { sample_rate: 16000 } or { shape: 'shape.npy' } (see compiler/onnx/bind-inputs.ts). */
  bind?: Bindings;
}

/** Imports an ONNX model file into the edgec IR. */
export function loadModel(path: string, options: LoadOptions = {}): Graph {
  return importOnnxFile(path, options);
}

/**
 * Signature, op mix, parameters, MACs and unsupported ops of a model file. A model with ops edgec cannot import
 * is still described, from its protobuf (MACs then unknown), with every unsupported op and its nodes.
 */
export function inspectModel(path: string, options: LoadOptions = {}): ModelSummary {
  try {
    return summarizeModel(loadModel(path, options), (node) => referenceTarget.check(node) === null);
  } catch (e) {
    if (!(e instanceof EdgecError) || e.code !== 'UNSUPPORTED_OP') throw e;
    return { ...outlineOnnxFile(path), macs: null };
  }
}

/**
 * Which targets can compile each op of a model file, decided by each target's own node check on the graph it
 * would compile (its pipeline at the -O level run first); symbolic input dims as `inputShapes` fixes them, else 1.
 */
export function inspectSupport(path: string, options: LoadOptions & SupportOptions = {}): SupportMatrix {
  const declared = loadModel(path, options);
  const inputShapes = staticInputShapes(graphSignature(declared), options.inputShapes ?? {}, {});
  const graph = Object.keys(inputShapes).length > Object.keys(options.inputShapes ?? {}).length ? loadModel(path, { ...options, inputShapes }) : declared;
  return supportMatrix(graph, options);
}

/** Runs a graph on the reference interpreter (the other targets arrive with their own compile step). */
export function runReference(graph: Graph, feeds: Record<string, Tensor>): Record<string, Tensor> {
  return runGraph(graph, feeds);
}

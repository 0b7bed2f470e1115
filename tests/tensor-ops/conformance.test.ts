import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { isEdgecError } from '../../ir/index.js';
import { casesIn, runConformanceCase, type CaseDir } from './conformance-harness.js';

/**
 * The ONNX backend conformance cases of the tensor-manipulation and reduction ops, run on the reference
 * interpreter. Every case must pass except those needing element types edgec does not have (float8, float4,
 * int4/uint4, int2/uint2) or ops outside this family's scope (Loop, SplitToSequence); those must be refused
 * with the matching error code, so the list cannot silently rot.
 */

const NODE_PREFIXES = [
  'reshape', 'flatten', 'transpose', 'concat', 'split', 'slice', 'gather_', 'squeeze', 'unsqueeze', 'expand', 'pad',
  'constant_pad', 'edge_pad', 'reflect_pad', 'wrap_pad', 'shape', 'cast', 'dropout', 'constantofshape', 'range', 'tile',
  'reduce_', 'argmax', 'argmin',
];

const FAMILY_OPS = new Set([
  'Reshape', 'Flatten', 'Transpose', 'Concat', 'Split', 'Slice', 'Gather', 'GatherElements', 'Squeeze', 'Unsqueeze',
  'Expand', 'Pad', 'Shape', 'Cast', 'CastLike', 'Dropout', 'ConstantOfShape', 'Range', 'Tile', 'ReduceMean', 'ReduceSum',
  'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare',
  'ArgMax', 'ArgMin',
]);

/** Element types edgec does not support, as they appear in case names. */
const UNSUPPORTED_TYPES = /FLOAT8|FLOAT4|E8M0|U?INT4|U?INT2(?!\d)/;
/** Cases whose models need ops outside this family that edgec does not implement. */
const UNSUPPORTED_OPS = /^test_range_.*_expanded$|^test_split_to_sequence/;

function modelOps(dir: string): string[] {
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  return [...new Set((model.graph?.node ?? []).map((n) => n.opType ?? ''))];
}

const nodeCases = casesIn('node', (name) => NODE_PREFIXES.some((p) => name.startsWith(`test_${p}`)));
const pytorchCases = ['pytorch-converted', 'pytorch-operator'].flatMap((suite) =>
  casesIn(suite, () => true).filter((c) => modelOps(c.dir).some((op) => FAMILY_OPS.has(op))),
);

function expectRefused(c: CaseDir, code: string): void {
  let error: unknown;
  try {
    runConformanceCase(c);
  } catch (e) {
    error = e;
  }
  expect(isEdgecError(error) ? error.code : String(error)).toBe(code);
}

describe('ONNX node conformance: tensor ops and reductions', () => {
  it('finds the cases', () => {
    expect(nodeCases.length).toBeGreaterThan(400);
  });
  for (const c of nodeCases) {
    if (UNSUPPORTED_TYPES.test(c.name)) it(`${c.name} is refused (unsupported dtype)`, () => expectRefused(c, 'UNSUPPORTED_DTYPE'));
    else if (UNSUPPORTED_OPS.test(c.name)) it(`${c.name} is refused (unsupported op)`, () => expectRefused(c, 'UNSUPPORTED_OP'));
    else it(c.name, () => expect(runConformanceCase(c)).toBeUndefined());
  }
});

describe('PyTorch conformance cases using tensor ops and reductions', () => {
  for (const c of pytorchCases) {
    it(`${c.suite}/${c.name}`, (ctx) => {
      try {
        expect(runConformanceCase(c)).toBeUndefined();
      } catch (e) {
        // Cases that also need another family's op wait for that op; anything else is a failure here.
        if (isEdgecError(e) && e.code === 'UNSUPPORTED_OP') ctx.skip(e.message);
        throw e;
      }
    });
  }
});

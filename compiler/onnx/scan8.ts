import { cloneGraph, EdgecError, makeTensor, type Attributes, type ErrorLocation, type Graph, type TensorType, type Value } from '../../ir/index.js';
import type { ImportSession } from './normalize-context.js';

/**
 * Scan before opset 9 carries a leading batch dim on every state and scan input (the sequence on axis 1) and an
 * optional sequence_lens; its body sees one batch element. With a static batch size B and no sequence_lens it is
 * B opset-9 Scans, one per batch element: Gather picks element b of each operand, each Scan runs its own copy of
 * the body, and the outputs are stacked back with Unsqueeze and Concat. sequence_lens (ragged batches) is not
 * supported.
 */

/** The batch size and the body's input types (one batch element: states without dim 0, slices without dims 0, 1). */
export function scan8BodyInputs(own: readonly (Value | null)[], attrs: Attributes, where: ErrorLocation): { batch: number; inputTypes: TensorType[] } {
  if (own[0]) throw new EdgecError('UNSUPPORTED_FEATURE', 'Scan (opset 8) with sequence_lens is not supported', where);
  const operands = own.slice(1);
  const scanInputs = typeof attrs['num_scan_inputs'] === 'number' ? attrs['num_scan_inputs'] : 0;
  const states = operands.length - scanInputs;
  if (scanInputs < 1 || states < 0) throw new EdgecError('ONNX_INVALID', `num_scan_inputs ${scanInputs} does not fit the ${operands.length} operands`, where);
  let batch: number | undefined;
  const inputTypes = operands.map((v, i) => {
    if (!v) throw new EdgecError('ONNX_INVALID', `operand ${i + 1} is required`, where);
    const b = v.type.shape[0];
    const minRank = i < states ? 1 : 2;
    if (v.type.shape.length < minRank || typeof b !== 'number') throw new EdgecError('UNSUPPORTED_FEATURE', `Scan (opset 8) needs a static batch dim on every operand, got %${v.name}`, where);
    if (batch !== undefined && b !== batch) throw new EdgecError('BAD_SHAPE', `Scan (opset 8) operands have batch sizes ${batch} and ${b}`, where);
    batch = b;
    return { dtype: v.type.dtype, shape: v.type.shape.slice(i < states ? 1 : 2) };
  });
  return { batch: batch ?? 1, inputTypes };
}

/** Builds the opset-9 form of an opset-8 Scan; returns its outputs (named `outputNames`). */
export function buildScan8(
  session: ImportSession,
  own: readonly (Value | null)[],
  captures: readonly Value[],
  attrs: Attributes,
  body: Graph,
  batch: number,
  outputNames: readonly string[],
  name: string,
): Value[] {
  const b = session.builder;
  const operands = own.slice(1) as Value[];
  const { body: _body, directions, num_scan_inputs, ...rest } = attrs;
  if (Object.keys(rest).length > 0) throw new EdgecError('ONNX_INVALID', `unknown attribute '${Object.keys(rest)[0]}'`);
  const perBatch: Value[][] = [];
  for (let e = 0; e < batch; e++) {
    const index = b.constant(session.freshName(`${name}_batch_${e}`), makeTensor('i64', [], [BigInt(e)]));
    const picked = operands.map((v) => b.op('Gather', [v, index], { axis: 0 }, session.freshName(`${v.name}_b${e}`)));
    const scanAttrs: Attributes = { body: e === 0 ? body : cloneGraph(body), num_scan_inputs: num_scan_inputs!, scan_input_axes: new Array<number>(num_scan_inputs as number).fill(0) };
    if (directions !== undefined) scanAttrs['scan_input_directions'] = directions;
    const names = outputNames.map((n) => session.freshName(`${n}_b${e}`));
    perBatch.push(b.node('Scan', [...picked, ...captures], scanAttrs, { name: `${name}_b${e}`, outputNames: names }));
  }
  const axes = b.constant(session.freshName(`${name}_axes`), makeTensor('i64', [1], [0n]));
  return outputNames.map((n, i) => {
    if (batch === 1) return b.op('Unsqueeze', [perBatch[0]![i]!, axes], {}, n);
    const parts = perBatch.map((outs, e) => b.op('Unsqueeze', [outs[i]!, axes], {}, session.freshName(`${n}_u${e}`)));
    return b.op('Concat', parts, { axis: 0 }, n);
  });
}

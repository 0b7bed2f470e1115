import { ATTR, onnx, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../../compiler/onnx/proto.js';
import { seededNumbers } from './seeded-random.js';

/**
 * A voice-activity model in the shape of the widely deployed ones: the sample rate is a graph input that selects
 * a branch, each branch frames the audio its own way and runs its own LSTM, and inside each branch a second If
 * (nested, reading the sample rate and the head weights from two scopes out) picks the output head.
 *
 *   audio f32[1,16], sr i64[]
 *   If(sr == 16000)
 *     then: frames = Reshape(audio, [4,1,4]) -> LSTM(hidden 8, weights local to the branch) -> Y_h[1,1,8]
 *           If(sr > 8000) then: Sigmoid(Y_h . head) else: Tanh(Y_h . head)          (nested; reads sr, head)
 *     else: frames = Reshape(audio, [2,1,8]) -> LSTM(hidden 8, reverse, own weights) -> Y_h[1,1,8]
 *           If(sr > 8000) then: Sigmoid(Y_h . head) else: Tanh(Y_h . head)
 *   probability f32[1,1,1]
 *
 * Built with onnx-proto directly (the IR's exporter writes no subgraphs), with seeded weights, at opset 21.
 */

const HIDDEN = 8;

function floatTensor(name: string, dims: number[], seed: number, scale = 0.5): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = seededNumbers(seed).floats(count, -scale, scale);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

function int64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

function constant(output: string, t: TensorProto): NodeProto {
  return { opType: 'Constant', name: output, input: [], output: [output], attribute: [{ name: 'value', type: ATTR.TENSOR, t: { ...t, name: '' } }] };
}

function node(opType: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []): NodeProto {
  return { opType, name: output[0], input, output, attribute };
}

function info(name: string, elemType: number, dims: number[]): ValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

const F32 = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;

/** The nested head: Sigmoid or Tanh of Y_h . head, chosen by sr > 8000 (sr and head read from the main graph). */
function headIf(prefix: string, hidden: string, output: string): NodeProto[] {
  const branch = (act: string): GraphProto => ({
    name: `${prefix}_${act.toLowerCase()}`,
    node: [node('MatMul', [hidden, 'head'], [`${prefix}_${act}_logit`]), node(act, [`${prefix}_${act}_logit`], [`${prefix}_${act}_out`])],
    output: [info(`${prefix}_${act}_out`, F32, [1, 1, 1])],
  });
  return [
    constant(`${prefix}_8000`, int64Tensor('', [], [8000])),
    node('Greater', ['sr', `${prefix}_8000`], [`${prefix}_wide`]),
    node('If', [`${prefix}_wide`], [output], [
      { name: 'then_branch', type: ATTR.GRAPH, g: branch('Sigmoid') },
      { name: 'else_branch', type: ATTR.GRAPH, g: branch('Tanh') },
    ]),
  ];
}

/** One sample rate's branch: frame the audio into [steps,1,features], an LSTM with its own weights, the head. */
function rateBranch(prefix: string, steps: number, features: number, seed: number, direction: string): GraphProto {
  return {
    name: prefix,
    node: [
      constant(`${prefix}_frame`, int64Tensor('', [3], [steps, 1, features])),
      node('Reshape', ['audio', `${prefix}_frame`], [`${prefix}_frames`]),
      constant(`${prefix}_W`, floatTensor('', [1, 4 * HIDDEN, features], seed)),
      constant(`${prefix}_R`, floatTensor('', [1, 4 * HIDDEN, HIDDEN], seed + 1)),
      constant(`${prefix}_B`, floatTensor('', [1, 8 * HIDDEN], seed + 2, 0.1)),
      node('LSTM', [`${prefix}_frames`, `${prefix}_W`, `${prefix}_R`, `${prefix}_B`], ['', `${prefix}_h`], [
        { name: 'hidden_size', type: ATTR.INT, i: HIDDEN },
        { name: 'direction', type: ATTR.STRING, s: new TextEncoder().encode(direction) },
      ]),
      ...headIf(`${prefix}_head`, `${prefix}_h`, `${prefix}_out`),
    ],
    output: [info(`${prefix}_out`, F32, [1, 1, 1])],
  };
}

/** The model's bytes. */
export function vadModel(): Uint8Array {
  const graph: GraphProto = {
    name: 'vad',
    input: [info('audio', F32, [1, 16]), info('sr', I64, [])],
    output: [info('probability', F32, [1, 1, 1])],
    initializer: [floatTensor('head', [HIDDEN, 1], 99, 1.5)],
    node: [
      constant('rate_16k', int64Tensor('', [], [16000])),
      node('Equal', ['sr', 'rate_16k'], ['is_16k']),
      node('If', ['is_16k'], ['probability'], [
        { name: 'then_branch', type: ATTR.GRAPH, g: rateBranch('r16k', 4, 4, 11, 'forward') },
        { name: 'else_branch', type: ATTR.GRAPH, g: rateBranch('r8k', 2, 8, 21, 'reverse') },
      ]),
    ],
    valueInfo: [info('is_16k', BOOL, [])],
  };
  return onnx.ModelProto.encode({ irVersion: 10, producerName: 'edgec-tests', opsetImport: [{ domain: '', version: 21 }], graph }).finish();
}

/** Seeded audio for the model. */
export function vadAudio(seed = 5): Float32Array {
  return Float32Array.from(seededNumbers(seed).floats(16, -1, 1));
}

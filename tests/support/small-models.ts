import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportOnnx } from '../../compiler/onnx/export.js';
import { GraphBuilder, makeTensor } from '../../ir/index.js';

/** Small ONNX files for the registry tests, written by the exporter from IR built here. */

/** y = Relu(x + c) on f32 with a symbolic batch: every target compiles it. */
export function writeAddRelu(dir: string): string {
  const b = new GraphBuilder('add_relu');
  const x = b.input('x', { dtype: 'f32', shape: ['N', 4, 8, 8] });
  const c = b.constant('c', makeTensor('f32', [1, 4, 1, 1], Float32Array.from([0.5, -0.25, 0, 1])));
  b.output(b.op('Relu', [b.op('Add', [x, c], {}, 'sum')], {}, 'y'));
  const path = join(dir, 'add_relu.onnx');
  writeFileSync(path, exportOnnx(b.build()));
  return path;
}

/** The index of the largest of 10 scores (i64 out): a 64-bit integer output some targets cannot produce. */
export function writeArgMax(dir: string): string {
  const b = new GraphBuilder('argmax');
  const x = b.input('scores', { dtype: 'f32', shape: [1, 10] });
  b.output(b.op('ArgMax', [b.op('Relu', [x], {}, 'relu')], { axis: 1 }, 'best'));
  const path = join(dir, 'argmax.onnx');
  writeFileSync(path, exportOnnx(b.build()));
  return path;
}

/** Two Adds, one on f32 and one on f64: a target without 64-bit floats (webgpu) rejects the second node only. */
export function writeMixedAdds(dir: string): string {
  const b = new GraphBuilder('mixed_adds');
  const x = b.input('x', { dtype: 'f32', shape: [2, 3] });
  const d = b.input('d', { dtype: 'f64', shape: [4] });
  const one = b.constant('one', makeTensor('f32', [1], Float32Array.from([1])));
  const step = b.constant('step', makeTensor('f64', [1], Float64Array.from([3])));
  b.output(b.op('Add', [x, one], {}, 'float_sum'), b.op('Add', [d, step], {}, 'double_sum'));
  const path = join(dir, 'mixed_adds.onnx');
  writeFileSync(path, exportOnnx(b.build()));
  return path;
}

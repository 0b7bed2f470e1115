// The library surface of int8 quantization (re-exported by compiler/index.ts).
export { quantizeModel, type QuantizeModelOptions, type QuantizedModel } from './driver.js';
export { calibrationInputs } from './data.js';
export { collectStats, calibratedRanges } from './calibrate.js';
export type { CalibrationMethod } from './observers.js';
export { exportOnnx as exportQdqOnnx } from '../onnx/export.js';

// Post-training int8 quantization: calibration, range estimators, the driver and accuracy metrics.
export { collectStats, calibratedRanges, type CalibrationStats, type CalibrateOptions, type RangeOptions } from './calibrate.js';
export { CALIBRATION_METHODS, entropyRange, percentileRange, minMaxRange, mseRange, Histogram, MinMax, type CalibrationMethod } from './observers.js';
export { calibrationInputs, folderInputs, syntheticInputs, SYNTHETIC_SEED } from './data.js';
export { cloneGraph } from './clone.js';
export { SnrAccumulator, snrDb, argmax, realValues } from './metrics.js';
export {
  quantizeModel,
  quantizeAnnotated,
  annotateRanges,
  prepareForQuantization,
  PREPARE_PIPELINE,
  LOWER_PIPELINE,
  BIAS_CORRECTION_SAMPLES,
  type QuantizeModelOptions,
  type QuantizedModel,
  type AutoStep,
} from './driver.js';

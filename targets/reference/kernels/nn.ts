import { registerKernels } from './registry.js';
import { convKernel, convTransposeKernel } from './nn/conv.js';
import { gemmKernel, matmulKernel } from './nn/gemm.js';
import { averagePoolKernel, globalAveragePoolKernel, globalMaxPoolKernel, maxPoolKernel } from './nn/pool.js';
import { batchNormKernel, instanceNormKernel, layerNormKernel, lrnKernel } from './nn/norm.js';
import { logSoftmaxKernel, softmaxKernel } from './nn/softmax.js';
import { resizeKernel } from './nn/resize.js';

/** Reference kernels of the neural-network family; each lives in nn/ by kind. */
registerKernels({
  Conv: convKernel,
  ConvTranspose: convTransposeKernel,
  Gemm: gemmKernel,
  MatMul: matmulKernel,
  MaxPool: maxPoolKernel,
  AveragePool: averagePoolKernel,
  GlobalAveragePool: globalAveragePoolKernel,
  GlobalMaxPool: globalMaxPoolKernel,
  BatchNormalization: batchNormKernel,
  InstanceNormalization: instanceNormKernel,
  LayerNormalization: layerNormKernel,
  LRN: lrnKernel,
  Softmax: softmaxKernel,
  LogSoftmax: logSoftmaxKernel,
  Resize: resizeKernel,
});

/**
 * The ops edgec claims: every ONNX conformance case built only from these must pass on the reference
 * interpreter. Constant is folded into graph constants by the front end.
 */
export const EDGE_OP_SET: ReadonlySet<string> = new Set([
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Exp', 'Log', 'Erf', 'Tanh',
  'Sigmoid', 'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'HardSigmoid', 'HardSwish', 'Gelu', 'Softmax', 'LogSoftmax',
  'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'MaxPool', 'AveragePool', 'GlobalAveragePool',
  'GlobalMaxPool', 'Reshape', 'Flatten', 'Transpose', 'Concat', 'Split', 'Slice', 'Gather', 'Squeeze', 'Unsqueeze',
  'Expand', 'Pad', 'Resize', 'Shape', 'Cast', 'Where', 'Equal', 'Less', 'Greater', 'ReduceMean', 'ReduceSum',
  'ReduceMax', 'ReduceMin', 'ArgMax', 'Identity', 'Dropout', 'Constant', 'ConstantOfShape', 'Range', 'Tile', 'Min',
  'Max', 'Neg', 'Abs', 'Reciprocal', 'Floor', 'Ceil', 'Sum', 'Mean', 'QuantizeLinear', 'DequantizeLinear',
  'DynamicQuantizeLinear', 'QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger',
  // Beyond the edge op set, cheap once its relatives existed:
  'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMin', 'CastLike',
  'GatherElements', 'Size',
]);

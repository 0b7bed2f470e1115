// The ONNX front end: ModelProto bytes -> verified IR graph, plus TensorProto reading and writing.
export { importOnnx, importOnnxFile, resolveFileBindings, type ImportOptions } from './import.js';
export { bindingRecord, parseBindFlags, resolveBindings, type BindValue, type Bindings } from './bind-inputs.js';
export { decodeTensorProto, readTensorProtoFile, encodeTensorProto, tensorFromProto } from './tensor-proto.js';
export { onnxDTypeToIr, irDTypeToOnnx } from './dtypes.js';
export { NORMALIZERS, IR_OP_FOR_ONNX } from './normalize.js';
export { outlineOnnxFile, type OnnxOutline } from './outline.js';

/**
 * Every failure edgec reports on purpose is an EdgecError: a stable code a script can switch on, and a
 * message that names where the problem is (file, node, op) so a user can act without a stack trace.
 */
export type ErrorCode =
  | 'ONNX_DECODE' // bytes are not a valid (or are a truncated) ONNX ModelProto
  | 'ONNX_INVALID' // decodes, but breaks ONNX rules (missing input, duplicate name, cycle, ...)
  | 'ONNX_EXTERNAL_DATA' // external data missing, out of bounds, or pointing outside the model folder
  | 'UNSUPPORTED_OP' // one or more ops edgec does not implement (all are listed)
  | 'UNSUPPORTED_DTYPE'
  | 'UNSUPPORTED_FEATURE'
  | 'BAD_SHAPE' // negative, absurd or mismatching dims
  | 'BAD_DATA' // tensor data length does not match its shape
  | 'TYPE_MISMATCH' // an op's operand types break its schema
  | 'VERIFY' // the IR verifier found a broken invariant
  | 'IR_PARSE' // the IR text form could not be parsed
  | 'RUNTIME_INPUT' // wrong feed names, shapes or dtypes at run time
  | 'RUNTIME' // an op failed while executing
  | 'IO' // reading or writing a file failed
  | 'CONTRACT_INVALID' // a model contract breaks its schema (unknown field, bad license expression, bad date)
  | 'KEY_INVALID' // a signing or trusted key cannot be read
  | 'SEAL_INVALID' // an artifact's seal is malformed
  | 'TOOL_MISSING' // an external tool a target needs (clang-19, qemu) is not installed
  | 'BUILD_FAILED' // an external build step (the C compiler, the linker) failed
  | 'NO_GPU_ADAPTER' // WebGPU (Dawn in Node) cannot be loaded or finds no adapter
  | 'PEER_MISSING' // a benchmark peer (onnxruntime-node, onnxruntime-web) is not installed or cannot load
  | 'USAGE'; // the command line is wrong

export interface ErrorLocation {
  file?: string;
  node?: string;
  op?: string;
}

export class EdgecError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation;

  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}) {
    super(EdgecError.compose(message, location));
    this.name = 'EdgecError';
    this.code = code;
    this.location = location;
  }

  private static compose(message: string, { file, node, op }: ErrorLocation): string {
    const where: string[] = [];
    if (file) where.push(file);
    if (node !== undefined || op) where.push(`node '${node ?? ''}'${op ? ` (${op})` : ''}`);
    return where.length > 0 ? `${where.join(': ')}: ${message}` : message;
  }
}

export function isEdgecError(e: unknown): e is EdgecError {
  return e instanceof EdgecError;
}

/**
 * Errors the runtime raises, with the same codes as the compiler's EdgecError so callers handle both alike.
 * The runtime ships to devices and imports nothing from the compiler.
 */
export type RuntimeErrorCode = 'RUNTIME_INPUT' | 'ARTIFACT_INVALID' | 'UNSUPPORTED_ARTIFACT';

export class EdgecRuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EdgecRuntimeError';
  }
}

/**
 * The one error the format readers throw. Formats import nothing outside runtime/formats/, so they cannot raise
 * the runtime's or the compiler's error types; each side maps `kind` to its own code (the runtime:
 * malformed → ARTIFACT_INVALID, unsupported → UNSUPPORTED_ARTIFACT).
 */
export type FormatErrorKind = 'malformed' | 'unsupported';

export class FormatError extends Error {
  constructor(
    readonly kind: FormatErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}

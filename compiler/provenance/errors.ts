import { EdgecError, type ErrorCode, type ErrorLocation } from '../../ir/index.js';

/** Codes for provenance failures (members of ir/errors.ts's ErrorCode). */
export type ProvenanceErrorCode = Extract<ErrorCode, 'CONTRACT_INVALID' | 'KEY_INVALID' | 'SEAL_INVALID'>;

export function provenanceError(code: ProvenanceErrorCode, message: string, location: ErrorLocation = {}): EdgecError {
  return new EdgecError(code, message, location);
}

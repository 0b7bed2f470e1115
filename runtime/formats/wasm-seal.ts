import { concatBytes } from './bytes.js';
import { wasmCustomSection } from './wasm-module.js';

/**
 * The wasm artifact's seal: a custom section named `edgec.seal` whose payload is the seal JSON, appended as the
 * module's last section. The digest covers the module without it (wasm-module.ts: wasmModuleOf the other
 * sections); a module with a second seal section, or with a section after the seal, is reported as tampered.
 */
export const WASM_SEAL_SECTION = 'edgec.seal';

/** The module with `payload` appended as its seal section (`unsealed` carries none). */
export const wasmWithSeal = (unsealed: Uint8Array, payload: Uint8Array): Uint8Array => concatBytes([unsealed, wasmCustomSection(WASM_SEAL_SECTION, payload)]);

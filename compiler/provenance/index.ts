/** Provenance seals, signing and model contracts (see docs/PROVENANCE.md). */
export { sealArtifact, type SealInputs, type SealedArtifact } from './seal.js';
export { verifyArtifact, readProvenance, type ProvenanceRecord, type VerifyArtifactOptions } from './verify.js';
export { generateKeyPair, writeKeyPair, readSigningKey, readPublicKeyPem, keyIdOfPublicKey, type KeyPair } from './keys.js';
export { validateContract, mergeContracts, CONTRACT_FIELD_NAMES } from './contract-schema.js';
export { resolveContract, readContractFile, parseContractText, contractFromMetadata, CONTRACT_METADATA_KEY, type ResolvedContract } from './contract-sources.js';
export { spdxExpressionProblem } from './spdx-license.js';
export { parseYaml } from './yaml.js';
export { compileModel, sealCompileResult, prepareContract, recordedOptions, checkContractTarget, type CompileModelOptions, type CompiledModel, type SealOptions } from './compile-model.js';
export { canSeal, type SealWriter } from './embed.js';
export { wasmCustomSection } from '../../runtime/formats/wasm-module.js';
export { WASM_SEAL_SECTION } from '../../runtime/formats/wasm-seal.js';
export { BUILD_TYPE, DEFAULT_BUILDER_ID } from './slsa.js';
export { SPDX_CONTEXT } from './aibom.js';
export type { Contract, DataLineageEntry, ModelCard } from '../../runtime/contract.js';
export { CONTRACT_PREDICATE_TYPE } from '../../runtime/contract.js';
export { PROVENANCE_PREDICATE_TYPE, AIBOM_PREDICATE_TYPE, type SealReport, type SealProblem } from '../../runtime/seal.js';
export { SEAL_FORMAT, type SealDocument, type Statement } from '../../runtime/formats/seal-document.js';

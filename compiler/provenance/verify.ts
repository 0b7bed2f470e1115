import type { Contract } from '../../runtime/contract.js';
import { EdgecRuntimeError } from '../../runtime/errors.js';
import { decodeStatement, parseSealDocument, type SealDocument, type Statement } from '../../runtime/formats/seal-document.js';
import {
  AIBOM_PREDICATE_TYPE, CONTRACT_PREDICATE_TYPE, containerFor, PROVENANCE_PREDICATE_TYPE, verifySeal, type SealReport, type VerifyOptions,
} from '../../runtime/seal.js';
import { provenanceError } from './errors.js';
import { readPublicKeyPem } from './keys.js';

/**
 * Checking and reading seals from the compiler side. Verification is the runtime's (one verifier for
 * `edgec verify` and `load()`); this adds key files and a sync decoder for `edgec provenance`.
 */
export interface VerifyArtifactOptions extends Omit<VerifyOptions, 'trustedKeys'> {
  /** Trusted public keys: PEM text or .pub.pem file paths. */
  trustedKeys?: readonly string[];
}

export async function verifyArtifact(bytes: Uint8Array, options: VerifyArtifactOptions = {}): Promise<SealReport> {
  const trustedKeys = (options.trustedKeys ?? []).map(readPublicKeyPem);
  try {
    return await verifySeal(bytes, { ...options, trustedKeys });
  } catch (e) {
    // The runtime's errors are not EdgecErrors; the CLI reports EdgecErrors in one line.
    if (e instanceof EdgecRuntimeError) throw provenanceError('SEAL_INVALID', e.message);
    throw e;
  }
}

export interface ProvenanceRecord {
  kind: string;
  /** Whether a seal is present (not whether it verifies: use verifyArtifact). */
  sealed: boolean;
  seal: SealDocument | null;
  provenance: Statement | null;
  contract: Contract | null;
  aibom: Statement | null;
  /** Key ids that signed (claimed, unchecked). */
  keyids: string[];
}

/** Decodes the seal's statements without checking them. */
export function readProvenance(bytes: Uint8Array): ProvenanceRecord {
  const container = containerFor(bytes);
  if (!container) throw provenanceError('SEAL_INVALID', 'not an artifact kind that carries a seal');
  let opened;
  try {
    opened = container.open(bytes);
  } catch (e) {
    throw provenanceError('SEAL_INVALID', `the artifact is malformed: ${(e as Error).message}`);
  }
  const record: ProvenanceRecord = { kind: container.kind, sealed: opened.seals.length > 0, seal: null, provenance: null, contract: null, aibom: null, keyids: [] };
  const payload = opened.seals[opened.seals.length - 1];
  if (!payload) return record;
  try {
    record.seal = parseSealDocument(payload);
  } catch (e) {
    throw provenanceError('SEAL_INVALID', `the seal is unreadable: ${(e as Error).message}`);
  }
  for (const envelope of record.seal.envelopes) {
    let s: Statement;
    try {
      s = decodeStatement(envelope);
    } catch {
      continue; // an unreadable statement is verify's to report; show what can be read
    }
    if (s.predicateType === PROVENANCE_PREDICATE_TYPE) record.provenance = s;
    else if (s.predicateType === CONTRACT_PREDICATE_TYPE) record.contract = s.predicate as Contract;
    else if (s.predicateType === AIBOM_PREDICATE_TYPE) record.aibom = s;
    for (const sig of envelope.signatures) if (!record.keyids.includes(sig.keyid)) record.keyids.push(sig.keyid);
  }
  return record;
}

/**
 * The model contract as it travels inside a seal, and its enforcement at load time. The compiler validates a
 * contract against its schema when it seals one (compiler/provenance/contract-schema.ts); the runtime still
 * reads it defensively, since the bytes it loads may come from anywhere.
 */

/** The in-toto predicate type of the contract statement; the version is part of the URI. */
export const CONTRACT_PREDICATE_TYPE = 'https://edgec.dev/contract/v1';

export interface DataLineageEntry {
  name: string;
  /** "sha256:<64 hex>". */
  digest?: string;
  /** SPDX license expression of the data set. */
  license?: string;
  /** Where the data set can be found (URL). */
  location?: string;
  /** SPDX 3 dataset type: "image", "text", "audio", ..., default "noAssertion". */
  type?: string;
}

/** Descriptive facts about the model for the AI bill of materials (all optional). */
export interface ModelCard {
  name?: string;
  version?: string;
  supplier?: string;
  downloadLocation?: string;
  typeOfModel?: string[];
  domain?: string[];
  limitation?: string;
  informationAboutTraining?: string;
}

export interface Contract {
  /** SPDX license expression. */
  license?: string;
  licensor?: string;
  /** When given, the only uses allowed (open vocabulary: "medical-diagnosis", "biometric-identification", ...). */
  permittedUses?: string[];
  prohibitedUses?: string[];
  /** Targets (wasm, rvv, webgpu) or boards the model may run on. */
  targets?: string[];
  /** ISO 8601 date or date-time; a date alone means 00:00 UTC. */
  notBefore?: string;
  expires?: string;
  attribution?: string;
  dataLineage?: DataLineageEntry[];
  /** Key ids (sha256 of the SPKI DER public key, hex) that must have signed every statement. */
  requiredSigners?: string[];
  model?: ModelCard;
}

/** One reason an artifact may not be used; `clause` names the contract field or the seal check. */
export interface ContractViolation {
  code: 'CONTRACT_VIOLATION' | 'UNTRUSTED_SIGNER';
  clause: string;
  message: string;
}

export interface UseContext {
  /** What the caller means to do with the model; uses are only checked when it is given. */
  intendedUse?: string;
  now: Date;
  /** The target the artifact was built for, and its board if any. */
  target: string;
  board?: string | null;
  /** Key ids with a valid signature on every statement of the seal. */
  signers: readonly string[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** ISO date or date-time to a Date; a bare date is midnight UTC. NaN dates are returned as null. */
export function contractDate(text: string): Date | null {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(t) ? null : new Date(t);
}

/** Every clause the use breaks, in a fixed order (use, time, target, signers). Empty when the use is allowed. */
export function contractViolations(contract: Contract, use: UseContext): ContractViolation[] {
  const found: ContractViolation[] = [];
  const violation = (clause: string, message: string, code: ContractViolation['code'] = 'CONTRACT_VIOLATION') =>
    found.push({ code, clause, message: `contract clause ${clause}: ${message}` });

  if (use.intendedUse !== undefined) {
    const prohibited = strings(contract.prohibitedUses);
    const permitted = strings(contract.permittedUses);
    if (prohibited.includes(use.intendedUse)) violation('prohibitedUses', `use '${use.intendedUse}' is prohibited`);
    else if (contract.permittedUses !== undefined && !permitted.includes(use.intendedUse)) {
      violation('permittedUses', `use '${use.intendedUse}' is not permitted (permitted: ${permitted.join(', ') || 'none'})`);
    }
  }
  if (typeof contract.notBefore === 'string') {
    const from = contractDate(contract.notBefore);
    if (!from) violation('notBefore', `unreadable date '${contract.notBefore}'`);
    else if (use.now < from) violation('notBefore', `not yet valid: valid from ${contract.notBefore}`);
  }
  if (typeof contract.expires === 'string') {
    const until = contractDate(contract.expires);
    if (!until) violation('expires', `unreadable date '${contract.expires}'`);
    else if (use.now >= until) violation('expires', `expired on ${contract.expires}`);
  }
  if (contract.targets !== undefined) {
    const allowed = strings(contract.targets);
    if (!allowed.includes(use.target) && !(use.board && allowed.includes(use.board))) {
      const what = use.board ? `target '${use.target}' (board '${use.board}')` : `target '${use.target}'`;
      violation('targets', `${what} is not allowed (allowed: ${allowed.join(', ') || 'none'})`);
    }
  }
  for (const keyid of strings(contract.requiredSigners)) {
    if (!use.signers.includes(keyid)) violation('requiredSigners', `required signer ${keyid.slice(0, 16)}… has not signed the seal`, 'UNTRUSTED_SIGNER');
  }
  return found;
}

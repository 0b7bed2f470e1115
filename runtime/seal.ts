/**
 * Reading and verifying an artifact's provenance seal. Runs in browsers and Node 20 alike: hashing and Ed25519
 * through WebCrypto (`crypto.subtle`), nothing from Node. The compiler writes seals (compiler/provenance) and
 * reuses this file to read them, so there is one verifier.
 *
 * A seal (layout: runtime/formats/seal-document.ts) is DSSE envelopes of in-toto statements whose subject
 * digest is the sha256 of the artifact without its seal, plus the signers' public keys, so a seal can be checked
 * for integrity and for the contract's required signers without a key at hand; trust still comes only from the
 * caller's trusted keys.
 */
import { CONTRACT_PREDICATE_TYPE, contractViolations, type Contract } from './contract.js';
import { EdgecRuntimeError, type RuntimeErrorCode } from './errors.js';
import { base64Decode, concatBytes } from './formats/bytes.js';
import { elfSectionBytes, elfSections, isCodeSection, isElf, isReadOnlyDataSection, type ElfSection } from './formats/elf.js';
import { ELF_SEAL_SECTION, elfSealDescriptor, elfSealPayload, elfUnsealed } from './formats/elf-seal-note.js';
import { RVV_IO_SECTION } from './formats/rvv-io.js';
import { decodeStatement, pae, parseSealDocument, recordedDigests, type SealDocument, type Statement } from './formats/seal-document.js';
import { WASM_IO_SECTION } from './formats/wasm-io.js';
import { CUSTOM_SECTION_ID, customSectionPayload, DATA_SECTION_ID, isWasm, wasmModuleOf, wasmSections, type WasmSection } from './formats/wasm-module.js';
import { WASM_SEAL_SECTION } from './formats/wasm-seal.js';
import { BUNDLE_HEADER_BYTES, bundleLayout, isBundle, unsealedBundle } from './formats/webgpu-bundle.js';

export const PROVENANCE_PREDICATE_TYPE = 'https://slsa.dev/provenance/v1';
export const AIBOM_PREDICATE_TYPE = 'https://spdx.dev/Document/v3.0.1';
export { CONTRACT_PREDICATE_TYPE };
/** For the CLI, which imports it from here. */

// ---------------------------------------------------------------------------------------------------------------
// Containers: where each artifact kind keeps its seal. rvv (ELF note) and webgpu (bundle header) plug in here.

/** A named piece of the unsealed artifact hashed on its own, so a mismatch can say what changed. */
export interface ArtifactPart {
  name: string;
  /** What a change to this part means, for messages: "the code changed". */
  meaning: string;
  bytes: Uint8Array;
}

export interface OpenedArtifact {
  kind: string;
  /** The bytes the subject digest covers. */
  unsealed: Uint8Array;
  /** Seal payloads found (more than one means a second seal was appended). */
  seals: Uint8Array[];
  /** Structural problems with where the seal sits (e.g. something appended after it). */
  problems: string[];
  parts: ArtifactPart[];
}

export interface SealContainer {
  readonly kind: string;
  /** Does this look like an artifact of this kind (magic bytes)? */
  detect(bytes: Uint8Array): boolean;
  /** Splits the artifact into the sealed-over bytes and its seal(s). Throws on a malformed artifact. */
  open(bytes: Uint8Array): OpenedArtifact;
}

export const wasmContainer: SealContainer = {
  kind: 'wasm',
  detect: isWasm,
  open(bytes) {
    const sections = wasmSections(bytes);
    const isCustom = (s: WasmSection, name?: string) => s.id === CUSTOM_SECTION_ID && (name === undefined || s.name === name);
    const seals = sections.filter((s) => isCustom(s, WASM_SEAL_SECTION));
    const problems: string[] = [];
    if (seals.length > 1) problems.push(`the module holds ${seals.length} '${WASM_SEAL_SECTION}' sections: a second seal was appended`);
    if (seals.length > 0 && sections[sections.length - 1] !== seals[seals.length - 1]) {
      problems.push(`a section was appended after the '${WASM_SEAL_SECTION}' section (the seal must be last)`);
    }
    const kept = sections.filter((s) => !seals.includes(s));
    const slice = (s: WasmSection) => bytes.subarray(s.start, s.end);
    return {
      kind: 'wasm',
      unsealed: seals.length === 0 ? bytes : wasmModuleOf(bytes, kept),
      seals: seals.map((s) => customSectionPayload(bytes, s)),
      problems,
      parts: [
        { name: 'code', meaning: 'the code changed', bytes: wasmModuleOf(bytes, kept.filter((s) => !isCustom(s) && s.id !== DATA_SECTION_ID)) },
        { name: 'weights', meaning: 'the weights changed (data section)', bytes: concatBytes(kept.filter((s) => s.id === DATA_SECTION_ID).map(slice)) },
        { name: 'io', meaning: 'the I/O table changed', bytes: concatBytes(kept.filter((s) => isCustom(s, WASM_IO_SECTION)).map(slice)) },
        { name: 'metadata', meaning: 'other custom sections changed', bytes: concatBytes(kept.filter((s) => isCustom(s) && s.name !== WASM_IO_SECTION).map(slice)) },
      ],
    };
  },
};

/** The rvv ELF: the seal lives in the `.note.edgec.seal` note's descriptor (runtime/formats/elf-seal-note.ts). */
export const elfContainer: SealContainer = {
  kind: 'rvv',
  detect: isElf,
  open(bytes) {
    const descriptor = elfSealDescriptor(bytes);
    if (!descriptor) throw new Error(`the ELF has no ${ELF_SEAL_SECTION} note (it was not built by edgec, or the note was stripped)`);
    const payload = elfSealPayload(bytes, descriptor);
    const unsealed = elfUnsealed(bytes, descriptor);
    const isIo = (s: ElfSection) => s.name === RVV_IO_SECTION;
    const other = new Uint8Array(unsealed);
    for (const s of elfSections(unsealed)) if (isCodeSection(s) || isReadOnlyDataSection(s) || isIo(s)) other.fill(0, s.offset, s.offset + s.size);
    return {
      kind: 'rvv',
      unsealed,
      seals: payload ? [payload] : [],
      problems: [],
      parts: [
        { name: 'code', meaning: 'the code changed', bytes: elfSectionBytes(unsealed, isCodeSection) },
        { name: 'weights', meaning: 'the weights or other read-only data changed (.rodata)', bytes: elfSectionBytes(unsealed, isReadOnlyDataSection) },
        { name: 'io', meaning: 'the I/O table changed', bytes: elfSectionBytes(unsealed, isIo) },
        { name: 'other', meaning: 'the ELF headers or other sections changed', bytes: other },
      ],
    };
  },
};

/**
 * The WebGPU bundle keeps its seal as the last section of the file, located by the header's seal fields; the
 * digest covers the bundle without it (the bytes before the seal, the seal fields zero).
 */
export const webgpuContainer: SealContainer = {
  kind: 'webgpu',
  detect: isBundle,
  open(bytes) {
    const layout = bundleLayout(bytes);
    const [sealAt, sealLength] = layout.seal;
    const problems: string[] = [];
    if (sealLength > 0 && sealAt + sealLength !== bytes.length) problems.push('bytes were appended after the seal (the seal must be last)');
    const unsealed = unsealedBundle(bytes, layout);
    const section = ([offset, length]: [number, number]) => unsealed.subarray(offset, offset + length);
    const manifest = section(layout.manifest);
    return {
      kind: 'webgpu',
      unsealed,
      seals: sealLength > 0 ? [bytes.subarray(sealAt, sealAt + sealLength)] : [],
      problems,
      parts: [
        { name: 'code', meaning: 'the shaders, dispatch list or buffer plan changed (manifest)', bytes: manifest },
        { name: 'weights', meaning: 'the weights changed', bytes: section(layout.weights) },
        { name: 'header', meaning: 'the bundle header changed', bytes: unsealed.subarray(0, BUNDLE_HEADER_BYTES) },
      ],
    };
  },
};

/** Every artifact kind that can carry a seal. */
export const SEAL_CONTAINERS: readonly SealContainer[] = [wasmContainer, elfContainer, webgpuContainer];

export function containerFor(bytes: Uint8Array): SealContainer | undefined {
  return SEAL_CONTAINERS.find((c) => c.detect(bytes));
}

// ---------------------------------------------------------------------------------------------------------------
// Encodings and crypto (WebCrypto only).

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource)));
}

/** SPKI DER prefix of an Ed25519 public key (RFC 8410); the raw 32-byte key follows. */
const ED25519_SPKI_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/** A public key as the caller may hold it: PEM text, 64 hex chars (raw), or bytes (raw 32 or SPKI DER 44). */
export type PublicKeyInput = string | Uint8Array;

/** The SPKI DER form of an Ed25519 public key given as PEM, raw hex, or raw / SPKI bytes. */
export function ed25519Spki(key: PublicKeyInput): Uint8Array {
  let bytes: Uint8Array;
  if (typeof key === 'string') {
    const pem = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(key);
    if (pem) bytes = base64Decode(pem[1]!.replace(/\s+/g, ''));
    else if (/^[0-9a-fA-F]{64}$/.test(key.trim())) bytes = Uint8Array.from(key.trim().match(/../g)!.map((h) => parseInt(h, 16)));
    else throw new EdgecRuntimeError('UNTRUSTED_SIGNER', 'a trusted key is neither a PEM public key nor 64 hex characters');
  } else bytes = key;
  if (bytes.length === 32) return concatBytes([Uint8Array.from(ED25519_SPKI_PREFIX), bytes]);
  if (bytes.length === 44 && ED25519_SPKI_PREFIX.every((b, i) => bytes[i] === b)) return bytes;
  throw new EdgecRuntimeError('UNTRUSTED_SIGNER', 'a trusted key is not an Ed25519 public key');
}

/** keyid = sha256 of the SPKI DER public key, hex. */
export async function keyIdOf(key: PublicKeyInput): Promise<string> {
  return sha256Hex(ed25519Spki(key));
}

async function verifyEd25519(spki: Uint8Array, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey('spki', spki as BufferSource, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature as BufferSource, data as BufferSource);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Verification.

export type SealProblemCode = Extract<RuntimeErrorCode, 'ARTIFACT_INVALID' | 'SEAL_MISSING' | 'SEAL_INVALID' | 'UNTRUSTED_SIGNER' | 'CONTRACT_VIOLATION'>;

export interface SealProblem {
  code: SealProblemCode;
  /** The check or contract field that failed: "digest", "signature", "prohibitedUses", "expires", ... */
  clause: string;
  message: string;
}

export interface VerifyOptions {
  /** Public keys whose signature makes an artifact trusted; when given, a signature by one of them is required. */
  trustedKeys?: readonly PublicKeyInput[];
  /** Require a seal signed on every statement (by a trusted key when trustedKeys are given). */
  requireSignature?: boolean;
  /** What the model will be used for, checked against permittedUses / prohibitedUses. */
  intendedUse?: string;
  /** The time validity is checked at (default: now). */
  now?: Date;
}

export interface EnvelopeReport {
  predicateType: string | null;
  /** sha256 of the decoded payload (the statement's JSON bytes). */
  payloadDigest: string;
  signatures: { keyid: string; valid: boolean; trusted: boolean }[];
}

export interface SealReport {
  kind: string;
  sealed: boolean;
  /** sha256 of the artifact without its seal (what the subject digest must be). */
  digest: string;
  /** The digest the seal records, when readable. */
  sealedDigest: string | null;
  /** Parts whose digest differs from the one recorded (empty when the digest matches). */
  changed: string[];
  signed: boolean;
  /** Key ids with a valid signature on every statement. */
  signers: string[];
  /** Of those, the ones among the trusted keys. */
  trustedSigners: string[];
  envelopes: EnvelopeReport[];
  provenance: Statement | null;
  contract: Contract | null;
  aibom: Statement | null;
  /** Everything that failed, in order of importance: structure, digest, signatures, trust, contract. */
  problems: SealProblem[];
}

const STATEMENT_NAMES: Record<string, string> = {
  [PROVENANCE_PREDICATE_TYPE]: 'provenance',
  [CONTRACT_PREDICATE_TYPE]: 'contract',
  [AIBOM_PREDICATE_TYPE]: 'AI bill of materials',
};

/** Verifies everything a seal claims and every requirement of the caller; never throws for a bad artifact. */
export async function verifySeal(bytes: Uint8Array, options: VerifyOptions = {}): Promise<SealReport> {
  const container = containerFor(bytes);
  if (!container) throw new EdgecRuntimeError('UNSUPPORTED_ARTIFACT', 'not an artifact kind that carries a seal');
  const report: SealReport = {
    kind: container.kind, sealed: false, digest: '', sealedDigest: null, changed: [], signed: false, signers: [], trustedSigners: [],
    envelopes: [], provenance: null, contract: null, aibom: null, problems: [],
  };
  const problem = (code: SealProblemCode, clause: string, message: string) => report.problems.push({ code, clause, message });
  let opened: OpenedArtifact;
  try {
    opened = container.open(bytes);
  } catch (e) {
    problem('ARTIFACT_INVALID', 'artifact', `the artifact is malformed: ${(e as Error).message}`);
    return report;
  }
  report.digest = await sha256Hex(opened.unsealed);
  const trusted = await Promise.all((options.trustedKeys ?? []).map(async (k) => ({ spki: ed25519Spki(k), keyid: await keyIdOf(k) })));
  const mustSign = options.requireSignature || trusted.length > 0;
  if (opened.seals.length === 0) {
    if (mustSign) problem('SEAL_MISSING', 'seal', 'the artifact has no seal (never sealed, or the seal was stripped), and a signed seal is required');
    return report;
  }
  report.sealed = true;
  for (const p of opened.problems) problem('SEAL_INVALID', 'seal-placement', p);

  let doc: SealDocument;
  const statements: (Statement | null)[] = [];
  try {
    doc = parseSealDocument(opened.seals[opened.seals.length - 1]!);
  } catch (e) {
    problem('SEAL_INVALID', 'seal', `the seal is unreadable (edited or corrupted): ${(e as Error).message}`);
    return report;
  }
  for (const envelope of doc.envelopes) {
    let statement: Statement | null = null;
    try {
      statement = decodeStatement(envelope);
    } catch (e) {
      problem('SEAL_INVALID', 'statement', `a statement of the seal is unreadable (edited or corrupted): ${(e as Error).message}`);
    }
    statements.push(statement);
    if (statement?.predicateType === PROVENANCE_PREDICATE_TYPE) report.provenance = statement;
    if (statement?.predicateType === CONTRACT_PREDICATE_TYPE) report.contract = statement.predicate as Contract;
    if (statement?.predicateType === AIBOM_PREDICATE_TYPE) report.aibom = statement;
  }
  if (!report.provenance) problem('SEAL_INVALID', 'provenance', 'the seal has no readable provenance statement');

  // Digest: every statement must name this artifact; parts say what changed when it does not.
  const subjectDigests = new Set(statements.map((s) => s?.subject[0]?.digest?.['sha256'] ?? null));
  report.sealedDigest = report.provenance?.subject[0]?.digest?.['sha256'] ?? [...subjectDigests][0] ?? null;
  if (subjectDigests.size > 1) problem('SEAL_INVALID', 'subject', 'the statements of the seal name different artifacts (a statement was swapped in)');
  if (report.sealedDigest !== report.digest) {
    const recorded = recordedDigests(report.provenance, 'part');
    for (const part of opened.parts) {
      const was = recorded.get(part.name);
      if (was !== undefined && was !== (await sha256Hex(part.bytes))) report.changed.push(part.name);
    }
    const meanings = opened.parts.filter((p) => report.changed.includes(p.name)).map((p) => p.meaning);
    const what = report.changed.length === opened.parts.length
      ? 'every part differs: the seal belongs to another artifact'
      : meanings.length ? meanings.join('; ') : 'bytes outside the recorded parts changed';
    problem('SEAL_INVALID', 'digest', `the artifact does not match its seal (sha256 ${report.digest.slice(0, 12)}… ≠ sealed ${String(report.sealedDigest).slice(0, 12)}…): ${what}`);
  }

  // Signatures: with the caller's trusted keys, else with the seal's own keys (whose ids must be their hashes).
  const embedded = new Map<string, Uint8Array>();
  for (const k of doc.keys) {
    try {
      const spki = base64Decode(k.spki);
      if ((await sha256Hex(spki)) === k.keyid) embedded.set(k.keyid, spki);
      else problem('SEAL_INVALID', 'keys', `the seal's key ${String(k.keyid).slice(0, 16)}… does not hash to its key id (substituted key)`);
    } catch {
      problem('SEAL_INVALID', 'keys', 'the seal holds an unreadable public key');
    }
  }
  const digestsRecorded = recordedDigests(report.provenance, 'statement');
  const validOnEvery = new Map<string, number>();
  for (const [i, envelope] of doc.envelopes.entries()) {
    const body = (() => {
      try {
        return base64Decode(envelope.payload);
      } catch {
        return new TextEncoder().encode(envelope.payload);
      }
    })();
    const predicateType = statements[i]?.predicateType ?? null;
    const entry: EnvelopeReport = { predicateType, payloadDigest: await sha256Hex(body), signatures: [] };
    const name = (predicateType && STATEMENT_NAMES[predicateType]) || `statement ${i + 1}`;
    for (const s of envelope.signatures) {
      const keyid = String(s?.keyid ?? '');
      const spki = trusted.find((t) => t.keyid === keyid)?.spki ?? embedded.get(keyid);
      let valid = false;
      if (spki && typeof s.sig === 'string') {
        try {
          valid = await verifyEd25519(spki, base64Decode(s.sig), pae(envelope.payloadType, body));
        } catch {
          valid = false;
        }
      }
      entry.signatures.push({ keyid, valid, trusted: valid && trusted.some((t) => t.keyid === keyid) });
      if (valid) validOnEvery.set(keyid, (validOnEvery.get(keyid) ?? 0) + 1);
      else if (!spki) problem('SEAL_INVALID', 'signature', `the ${name} statement is signed by key ${keyid.slice(0, 16)}…, whose public key is neither in the seal nor among the trusted keys`);
      else {
        const recorded = digestsRecorded.get(predicateType ?? '');
        const edited = predicateType !== PROVENANCE_PREDICATE_TYPE && recorded !== undefined && recorded !== entry.payloadDigest;
        problem('SEAL_INVALID', 'signature', edited
          ? `the ${name} statement was edited after sealing (its signature does not verify)`
          : `the signature on the ${name} statement does not verify (the statement was edited, or the signature corrupted or made by another key)`);
      }
    }
    if (predicateType !== PROVENANCE_PREDICATE_TYPE && envelope.signatures.length === 0) {
      const recorded = digestsRecorded.get(predicateType ?? '');
      if (recorded !== undefined && recorded !== entry.payloadDigest) problem('SEAL_INVALID', 'statement', `the ${name} statement was edited after sealing`);
    }
    report.envelopes.push(entry);
  }
  report.signed = doc.envelopes.length > 0 && doc.envelopes.every((e) => e.signatures.length > 0);
  report.signers = [...validOnEvery].filter(([, n]) => n === doc.envelopes.length).map(([k]) => k).sort();
  report.trustedSigners = report.signers.filter((k) => trusted.some((t) => t.keyid === k));

  if (mustSign && !report.signed) problem('SEAL_MISSING', 'signature', 'the seal is not signed, and a signed seal is required');
  else if (trusted.length > 0 && report.trustedSigners.length === 0 && !report.problems.some((p) => p.clause === 'signature')) {
    const by = report.signers.length ? `signed by key ${report.signers.map((k) => k.slice(0, 16) + '…').join(', ')}, ` : '';
    problem('UNTRUSTED_SIGNER', 'trustedKeys', `${by}not by a trusted key`);
  }

  if (report.contract) {
    const build = report.provenance?.predicate['buildDefinition'] as { externalParameters?: { target?: unknown; board?: unknown } } | undefined;
    const target = typeof build?.externalParameters?.target === 'string' ? build.externalParameters.target : container.kind;
    const board = typeof build?.externalParameters?.board === 'string' ? build.externalParameters.board : null;
    for (const v of contractViolations(report.contract, { intendedUse: options.intendedUse, now: options.now ?? new Date(), target, board, signers: report.signers })) {
      problem(v.code, v.clause, v.message);
    }
  }
  return report;
}

/** Verifies the seal and throws the first problem as an EdgecRuntimeError naming the clause. */
export async function enforceSeal(bytes: Uint8Array, options: VerifyOptions = {}): Promise<SealReport> {
  const report = await verifySeal(bytes, options);
  const first = report.problems[0];
  if (first) throw new EdgecRuntimeError(first.code, first.message);
  return report;
}

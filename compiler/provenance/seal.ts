import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Contract } from '../../runtime/contract.js';
import { byproductName, DSSE_PAYLOAD_TYPE, encodeSealDocument, SEAL_FORMAT, STATEMENT_TYPE, type ResourceDescriptor, type SealDocument, type Statement } from '../../runtime/formats/seal-document.js';
import { CONTRACT_PREDICATE_TYPE } from '../../runtime/seal.js';
import { aibomStatement } from './aibom.js';
import { compilerVersion, sourceDateEpoch, type ToolVersion } from './build-info.js';
import { findTargetEntry } from '../targets/registry.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { envelopeFor } from './dsse.js';
import { sealHandlersFor } from './embed.js';
import { provenanceError } from './errors.js';
import { keyIdOfPublicKey, readSigningKey } from './keys.js';
import { DEFAULT_BUILDER_ID, provenanceStatement } from './slsa.js';

/** What the seal says about a build; everything but the artifact and its source is optional. */
export interface SealInputs {
  /** The artifact's file name (the statements' subject name). */
  artifactName: string;
  /** The source model: file name and sha256 of its bytes; `version` from the ONNX model_version if any. */
  source: { name: string; sha256: string; version?: string | null };
  target: string;
  board?: string | null;
  /** Build options as given (sorted into canonical order when sealed). */
  options?: Record<string, unknown>;
  pipeline?: string;
  quantization?: { scheme: string; calibration?: { name: string; sha256: string } } | null;
  contract?: Contract;
  contractSources?: { name: string; sha256: string }[];
  /** SLSA builder id (default: $EDGEC_BUILDER_ID, else edgec's local builder). */
  builderId?: string;
  /** When the build ran; SOURCE_DATE_EPOCH, when set, replaces both. */
  startedOn?: Date;
  finishedOn?: Date;
  /** Ed25519 private key (PEM text, PEM file, or KeyObject); without it the seal holds digests only. */
  signingKey?: string | KeyObject;
}

export interface SealedArtifact {
  bytes: Uint8Array;
  /** sha256 of the artifact without its seal (the subject digest). */
  digest: string;
  keyid: string | null;
  seal: SealDocument;
  statements: Statement[];
}

/** Tools whose versions the provenance records: the compiler always, then what the target of this kind names. */
function toolsFor(kind: string): ToolVersion[] {
  return findTargetEntry(kind)?.seal?.tools() ?? [compilerVersion()];
}

/**
 * Seals an artifact: provenance, contract and AI BOM statements about the artifact's unsealed bytes, each in
 * a DSSE envelope (signed when a key is given), embedded the artifact kind's way. A seal already present is
 * replaced. Deterministic: same inputs, key and SOURCE_DATE_EPOCH give the same bytes.
 */
export function sealArtifact(bytes: Uint8Array, inputs: SealInputs): SealedArtifact {
  const { container, writer } = sealHandlersFor(bytes);
  let opened;
  try {
    opened = container.open(bytes);
  } catch (e) {
    throw provenanceError('SEAL_INVALID', `cannot seal a malformed artifact: ${(e as Error).message}`, { file: inputs.artifactName });
  }
  const unsealed = opened.unsealed;
  const digest = sha256Hex(unsealed);
  const subject: ResourceDescriptor[] = [{ name: inputs.artifactName, digest: { sha256: digest } }];
  const key = inputs.signingKey === undefined ? undefined : readSigningKey(inputs.signingKey);
  const keyid = key ? keyIdOfPublicKey(createPublicKey(key)) : null;
  const contract = inputs.contract ?? {};
  let epoch: Date | null;
  try {
    epoch = sourceDateEpoch();
  } catch (e) {
    throw provenanceError('SEAL_INVALID', (e as Error).message);
  }
  const finishedOn = epoch ?? inputs.finishedOn ?? new Date();
  const startedOn = epoch ?? inputs.startedOn ?? finishedOn;
  const tools = toolsFor(container.kind);
  const options = JSON.parse(canonicalJson(inputs.options ?? {})) as Record<string, unknown>;

  const contractStatement: Statement = { _type: STATEMENT_TYPE, subject, predicateType: CONTRACT_PREDICATE_TYPE, predicate: contract as Record<string, unknown> };
  const aibom = aibomStatement({
    subject,
    artifactName: inputs.artifactName,
    artifactSha256: digest,
    source: { name: inputs.source.name, sha256: inputs.source.sha256, version: inputs.source.version ?? null },
    target: inputs.target,
    contract,
    tool: tools[0]!,
    time: finishedOn,
  });
  const statementDigest = (s: Statement) => sha256Hex(JSON.stringify(s));
  const byproducts: ResourceDescriptor[] = [
    ...opened.parts.map((p) => ({ name: byproductName('part', p.name), digest: { sha256: sha256Hex(p.bytes) } })),
    ...[contractStatement, aibom].map((s) => ({ name: byproductName('statement', s.predicateType), digest: { sha256: statementDigest(s) }, mediaType: DSSE_PAYLOAD_TYPE })),
  ];
  const invocationId = `urn:edgec:invocation:${sha256Hex(canonicalJson({ digest, source: inputs.source.sha256, target: inputs.target, board: inputs.board ?? null, options, pipeline: inputs.pipeline ?? '', contract, keyid })).slice(0, 32)}`;
  const provenance = provenanceStatement({
    subject,
    source: { name: inputs.source.name, sha256: inputs.source.sha256 },
    target: inputs.target,
    board: inputs.board ?? null,
    options,
    pipeline: inputs.pipeline ?? '',
    quantization: inputs.quantization ?? null,
    contractSources: inputs.contractSources ?? [],
    tools,
    builderId: inputs.builderId ?? process.env['EDGEC_BUILDER_ID'] ?? DEFAULT_BUILDER_ID,
    invocationId,
    startedOn,
    finishedOn,
    byproducts,
  });
  const statements = [provenance, contractStatement, aibom];
  const seal: SealDocument = {
    format: SEAL_FORMAT,
    keys: key ? [{ keyid: keyid!, spki: createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64') }] : [],
    envelopes: statements.map((s) => envelopeFor(s, key)),
  };
  const sealed = writer.embed(unsealed, encodeSealDocument(seal));
  return { bytes: sealed, digest, keyid, seal, statements };
}

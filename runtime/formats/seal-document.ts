import { base64Decode, concatBytes } from './bytes.js';

/**
 * The seal every artifact kind carries (where it sits: wasm-seal.ts, elf-seal-note.ts, webgpu-bundle.ts), as
 * UTF-8 JSON:
 *
 *   seal       = { "format": "edgec.seal/1", "keys": [{ "keyid", "spki" }], "envelopes": [envelope] }
 *   envelope   = DSSE { "payloadType": "application/vnd.in-toto+json", "payload": base64(statement JSON),
 *                       "signatures": [{ "keyid", "sig": base64(Ed25519 over pae(payloadType, payload bytes)) }] }
 *   statement  = in-toto Statement v1 { "_type", "subject": [{ "name", "digest": { "sha256" } }], "predicateType", "predicate" }
 *
 * keyid = sha256 of the SPKI DER public key, hex; `spki` is that key, base64. The provenance statement's
 * predicate.runDetails.byproducts records `part:<name>` digests of the artifact's parts (so a mismatch can say
 * what changed) and `statement:<predicateType>` digests of the other statements (so an edit can be named).
 */
export const SEAL_FORMAT = 'edgec.seal/1';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The media type of an in-toto statement: a DSSE envelope's payloadType and a statement byproduct's mediaType. */
export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface Signature {
  keyid: string;
  sig: string;
}
export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: Signature[];
}
export interface SealDocument {
  format: string;
  keys: { keyid: string; spki: string }[];
  envelopes: Envelope[];
}
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  [field: string]: unknown;
}
export interface Statement {
  _type: string;
  subject: ResourceDescriptor[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

/** DSSE pre-authentication encoding: what is actually signed. Lengths are byte lengths. */
export function pae(payloadType: string, body: Uint8Array): Uint8Array {
  const type = new TextEncoder().encode(payloadType);
  const head = new TextEncoder().encode(`DSSEv1 ${type.length} ${payloadType} ${body.length} `);
  return concatBytes([head, body]);
}

export const encodeSealDocument = (doc: SealDocument): Uint8Array => new TextEncoder().encode(JSON.stringify(doc));

/** The seal in a payload; throws when it is not JSON of format edgec.seal/1 with DSSE envelopes. */
export function parseSealDocument(payload: Uint8Array): SealDocument {
  const doc = JSON.parse(new TextDecoder().decode(payload)) as SealDocument;
  if (!doc || doc.format !== SEAL_FORMAT) throw new Error(`unknown seal format '${String(doc?.format)}'`);
  if (!Array.isArray(doc.envelopes) || !Array.isArray(doc.keys)) throw new Error('the seal has no envelopes or keys list');
  for (const e of doc.envelopes) {
    if (typeof e?.payload !== 'string' || typeof e.payloadType !== 'string' || !Array.isArray(e.signatures)) throw new Error('an envelope is not DSSE');
  }
  return doc;
}

/** The statement an envelope carries; throws when it is not an in-toto Statement v1. */
export function decodeStatement(envelope: Envelope): Statement {
  const statement = JSON.parse(new TextDecoder().decode(base64Decode(envelope.payload))) as Statement;
  if (statement?._type !== STATEMENT_TYPE || !Array.isArray(statement.subject) || typeof statement.predicateType !== 'string') {
    throw new Error('not an in-toto Statement v1');
  }
  return statement;
}

/** Byproduct name kinds in the provenance: a part of the artifact, or another statement of the seal. */
export type ByproductKind = 'part' | 'statement';

/** The byproduct name recording `what` (a part name, or a statement's predicate type). */
export const byproductName = (kind: ByproductKind, what: string): string => `${kind}:${what}`;

/** The digests the provenance records for byproducts of one kind, by part name or predicate type. */
export function recordedDigests(provenance: Statement | null, kind: ByproductKind): Map<string, string> {
  const prefix = byproductName(kind, '');
  const out = new Map<string, string>();
  const run = provenance?.predicate['runDetails'] as { byproducts?: ResourceDescriptor[] } | undefined;
  for (const b of run?.byproducts ?? []) {
    const digest = b.digest?.['sha256'];
    if (typeof b.name === 'string' && b.name.startsWith(prefix) && digest) out.set(b.name.slice(prefix.length), digest);
  }
  return out;
}

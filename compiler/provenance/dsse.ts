import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { DSSE_PAYLOAD_TYPE, pae, type Envelope, type Statement } from '../../runtime/formats/seal-document.js';
import { keyIdOfPublicKey } from './keys.js';

/** A DSSE envelope around one statement, signed with Ed25519 when a key is given (Ed25519 is deterministic). */
export function envelopeFor(statement: Statement, key?: KeyObject): Envelope {
  const body = new TextEncoder().encode(JSON.stringify(statement));
  const signatures = key ? [{ keyid: keyIdOfPublicKey(createPublicKey(key)), sig: sign(null, pae(DSSE_PAYLOAD_TYPE, body), key).toString('base64') }] : [];
  return { payloadType: DSSE_PAYLOAD_TYPE, payload: Buffer.from(body).toString('base64'), signatures };
}

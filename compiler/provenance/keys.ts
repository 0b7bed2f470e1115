import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { sha256Hex } from './canonical.js';
import { provenanceError } from './errors.js';

/** Ed25519 keys for signing seals: PKCS#8 PEM private keys, SPKI PEM public keys, keyid = sha256(SPKI DER). */

export interface KeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyid: string;
}

export function keyIdOfPublicKey(key: KeyObject): string {
  return sha256Hex(key.export({ type: 'spki', format: 'der' }));
}

export function generateKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    keyid: keyIdOfPublicKey(publicKey),
  };
}

/** `<base>.pem` (private, mode 0600) and `<base>.pub.pem`; `base` may end in .pem already. */
export function writeKeyPair(base: string, pair: KeyPair = generateKeyPair()): { privatePath: string; publicPath: string; keyid: string } {
  const stem = base.replace(/\.pem$/, '');
  const privatePath = `${stem}.pem`;
  const publicPath = `${stem}.pub.pem`;
  try {
    writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
    chmodSync(privatePath, 0o600); // the umask may have been stricter or looser: be exact
    writeFileSync(publicPath, pair.publicKeyPem, { mode: 0o644 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') throw provenanceError('KEY_INVALID', `${privatePath} exists; refusing to overwrite a private key`, { file: privatePath });
    throw provenanceError('KEY_INVALID', `cannot write the key pair: ${err.message}`, { file: privatePath });
  }
  return { privatePath, publicPath, keyid: pair.keyid };
}

/** An Ed25519 private key from PEM text or a PEM file. */
export function readSigningKey(pemOrPath: string | KeyObject): KeyObject {
  if (typeof pemOrPath !== 'string') return checkEd25519(pemOrPath, 'the signing key');
  const fromFile = !pemOrPath.includes('-----BEGIN');
  let pem = pemOrPath;
  if (fromFile) {
    try {
      pem = readFileSync(pemOrPath, 'utf8');
    } catch (e) {
      throw provenanceError('KEY_INVALID', `cannot read the signing key: ${(e as Error).message}`, { file: pemOrPath });
    }
  }
  try {
    return checkEd25519(createPrivateKey(pem), fromFile ? pemOrPath : 'the signing key');
  } catch (e) {
    if ((e as { code?: string }).code === 'KEY_INVALID') throw e;
    throw provenanceError('KEY_INVALID', `not a PEM private key (expected the .pem written by edgec keygen)`, fromFile ? { file: pemOrPath } : {});
  }
}

/** An Ed25519 public key (PEM text or file) as PEM text, for the verifier. */
export function readPublicKeyPem(pemOrPath: string): string {
  let pem = pemOrPath;
  if (!pemOrPath.includes('-----BEGIN')) {
    try {
      pem = readFileSync(pemOrPath, 'utf8');
    } catch (e) {
      throw provenanceError('KEY_INVALID', `cannot read the public key: ${(e as Error).message}`, { file: pemOrPath });
    }
  }
  try {
    const key = createPublicKey(pem);
    checkEd25519(key, pemOrPath);
    return key.export({ type: 'spki', format: 'pem' }) as string;
  } catch (e) {
    if ((e as { code?: string }).code === 'KEY_INVALID') throw e;
    throw provenanceError('KEY_INVALID', 'not a PEM public key (expected the .pub.pem written by edgec keygen)', { file: pemOrPath });
  }
}

function checkEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw provenanceError('KEY_INVALID', `${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key; edgec signs with Ed25519`);
  return key;
}

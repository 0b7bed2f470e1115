import { verify as nodeVerify, createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { EdgecRuntimeError, load } from '../../runtime/index.js';
import { verifySeal, type SealReport } from '../../runtime/seal.js';
import {
  concat, decodePayload, editSeal, sealDocument, encodePayload, flipped, lastSection, seal, sectionContent, smallWasm, stripLastSection, testKeys,
} from './helpers.js';

const CONTRACT = { license: 'Apache-2.0', licensor: 'Example Labs', permittedUses: ['image-classification'] };

let plain: Uint8Array;
let signed: Uint8Array;
let trusted: string[];

beforeAll(() => {
  plain = smallWasm();
  signed = seal(plain, { signingKey: testKeys().a.privateKeyPem, contract: CONTRACT });
  trusted = [testKeys().a.publicKeyPem];
});

async function refusal(bytes: Uint8Array, options: Parameters<typeof load>[1] = { trustedKeys: trusted }): Promise<EdgecRuntimeError> {
  try {
    await load(bytes, options);
  } catch (e) {
    expect(e).toBeInstanceOf(EdgecRuntimeError);
    return e as EdgecRuntimeError;
  }
  throw new Error('load() accepted the artifact');
}

const problemOf = (r: SealReport) => r.problems[0];

describe('seal round trip (wasm)', () => {
  it('appends exactly one edgec.seal custom section, last, and the module stays valid', async () => {
    expect(Buffer.from(signed.subarray(0, plain.length)).equals(Buffer.from(plain))).toBe(true);
    const module = await WebAssembly.compile(signed as BufferSource);
    expect(WebAssembly.Module.customSections(module, 'edgec.seal')).toHaveLength(1);
    const payload = new TextDecoder().decode(lastSection(signed).subarray(1 + 1 + 1 + 'edgec.seal'.length + 1));
    expect(payload).toContain('"format":"edgec.seal/1"');
  });

  it('verifies with the publisher key, loads and runs', async () => {
    const report = await verifySeal(signed, { trustedKeys: trusted });
    expect(report.problems).toEqual([]);
    expect(report.signed).toBe(true);
    expect(report.trustedSigners).toEqual([testKeys().a.keyid]);
    expect(report.digest).toBe(report.sealedDigest);
    const model = await load(signed, { trustedKeys: trusted, intendedUse: 'image-classification' });
    expect(model.seal?.contract?.license).toBe('Apache-2.0');
    const out = await model.run({ x: { data: new Float32Array(12).map((_, i) => i), shape: [2, 6] } });
    expect(Array.from(out['y'] as Float32Array)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(Array.from(out['w'] as Float32Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('accepts trusted keys as raw 32 bytes or hex', async () => {
    const der = createPublicKey(testKeys().a.publicKeyPem).export({ type: 'spki', format: 'der' });
    const raw = new Uint8Array(der.subarray(12));
    await expect(load(signed, { trustedKeys: [raw] })).resolves.toBeDefined();
    await expect(load(signed, { trustedKeys: [Buffer.from(raw).toString('hex')] })).resolves.toBeDefined();
  });

  it('an unsigned seal holds digests only: loads unless a signature is required', async () => {
    const unsigned = seal(plain, { contract: CONTRACT });
    const report = await verifySeal(unsigned);
    expect(report.problems).toEqual([]);
    expect(report.signed).toBe(false);
    await expect(load(unsigned)).resolves.toBeDefined();
    expect((await refusal(unsigned, { requireSignature: true })).code).toBe('SEAL_MISSING');
    const e = await refusal(unsigned);
    expect(e.code).toBe('SEAL_MISSING');
    expect(e.message).toMatch(/not signed/);
  });

  it('artifacts without a seal still load when nothing is required', async () => {
    await expect(load(plain)).resolves.toBeDefined();
  });

  it('the signatures are DSSE: Ed25519 over PAE(payloadType, payload), keyid = sha256(SPKI DER)', async () => {
    const doc = sealDocument(signed);
    const pub = createPublicKey(testKeys().a.publicKeyPem);
    for (const env of doc.envelopes) {
      expect(env.payloadType).toBe('application/vnd.in-toto+json');
      const body = Buffer.from(env.payload, 'base64');
      const pae = Buffer.concat([Buffer.from(`DSSEv1 ${env.payloadType.length} ${env.payloadType} ${body.length} `), body]);
      expect(env.signatures).toHaveLength(1);
      expect(env.signatures[0].keyid).toBe(testKeys().a.keyid);
      expect(nodeVerify(null, pae, pub, Buffer.from(env.signatures[0].sig, 'base64'))).toBe(true);
    }
    expect(doc.keys).toEqual([{ keyid: testKeys().a.keyid, spki: pub.export({ type: 'spki', format: 'der' }).toString('base64') }]);
  });
});

describe('tamper matrix (wasm): verify reports it, load refuses it, each with its reason', () => {
  it('one byte of code', async () => {
    const code = sectionContent(signed, 10);
    const bad = flipped(signed, code.end - 2);
    const report = await verifySeal(bad, { trustedKeys: trusted });
    expect(problemOf(report)).toMatchObject({ code: 'SEAL_INVALID', clause: 'digest' });
    expect(report.changed).toEqual(['code']);
    const e = await refusal(bad);
    expect(e.code).toBe('SEAL_INVALID');
    expect(e.message).toMatch(/does not match its seal.*the code changed/);
    // Sealed artifacts are checked even when the caller asks for nothing.
    expect((await refusal(bad, {})).message).toMatch(/the code changed/);
  });

  it('one byte of weights (the data section)', async () => {
    const data = sectionContent(signed, 11);
    const bad = flipped(signed, data.end - 3);
    const report = await verifySeal(bad);
    expect(report.changed).toEqual(['weights']);
    expect((await refusal(bad)).message).toMatch(/the weights changed \(data section\)/);
  });

  it('one byte of the I/O table', async () => {
    const io = sectionContent(signed, 'edgec.io');
    const text = new TextDecoder().decode(signed.subarray(io.start, io.end));
    const bad = flipped(signed, io.start + text.indexOf('"x"') + 1); // input name x -> y
    expect((await verifySeal(bad)).changed).toEqual(['io']);
    expect((await refusal(bad)).message).toMatch(/the I\/O table changed/);
  });

  it("one byte of a statement's payload", async () => {
    const seal = sectionContent(signed, 'edgec.seal');
    const text = new TextDecoder().decode(signed.subarray(seal.start, seal.end));
    const at = text.indexOf('"payload":"') + '"payload":"'.length + 40;
    const out = signed.slice();
    out[seal.start + at] = out[seal.start + at] === 0x41 ? 0x42 : 0x41; // stays base64
    const report = await verifySeal(out, { trustedKeys: trusted });
    expect(report.problems.length).toBeGreaterThan(0);
    expect(report.problems.every((p) => p.code === 'SEAL_INVALID')).toBe(true);
    expect((await refusal(out)).code).toBe('SEAL_INVALID');
  });

  it('the contract edited (a clause removed, signatures kept)', async () => {
    const bad = editSeal(signed, (doc) => {
      const env = doc.envelopes[1]!;
      const statement = decodePayload(env.payload) as { predicate: Record<string, unknown> };
      delete statement.predicate['permittedUses'];
      env.payload = encodePayload(statement);
    });
    const report = await verifySeal(bad, { trustedKeys: trusted });
    expect(problemOf(report)).toMatchObject({ code: 'SEAL_INVALID', clause: 'signature' });
    expect(problemOf(report)!.message).toMatch(/the contract statement was edited after sealing/);
    expect((await refusal(bad)).message).toMatch(/contract statement was edited/);
  });

  it('one byte of a signature', async () => {
    const bad = editSeal(signed, (doc) => {
      const sig = Buffer.from(doc.envelopes[0]!.signatures[0]!.sig, 'base64');
      sig[10] ^= 1;
      doc.envelopes[0]!.signatures[0]!.sig = sig.toString('base64');
    });
    const report = await verifySeal(bad, { trustedKeys: trusted });
    expect(problemOf(report)).toMatchObject({ code: 'SEAL_INVALID', clause: 'signature' });
    expect(problemOf(report)!.message).toMatch(/signature on the provenance statement does not verify/);
    expect((await refusal(bad)).code).toBe('SEAL_INVALID');
  });

  it('the seal stripped', async () => {
    const bad = stripLastSection(signed);
    expect(Buffer.from(bad).equals(Buffer.from(plain))).toBe(true);
    const e = await refusal(bad);
    expect(e.code).toBe('SEAL_MISSING');
    expect(e.message).toMatch(/no seal .*stripped/);
    expect((await refusal(bad, { requireSignature: true })).code).toBe('SEAL_MISSING');
  });

  it("another artifact's seal swapped in", async () => {
    const other = seal(smallWasm([9, 9, 9, 9, 9, 9, 9, 9]), { signingKey: testKeys().a.privateKeyPem, contract: CONTRACT });
    const bad = concat(plain, lastSection(other));
    const report = await verifySeal(bad, { trustedKeys: trusted });
    expect(problemOf(report)).toMatchObject({ code: 'SEAL_INVALID', clause: 'digest' });
    expect(report.changed).toEqual(['weights']);
    expect((await refusal(bad)).message).toMatch(/does not match its seal/);
  });

  it('a second seal appended', async () => {
    const bad = concat(signed, lastSection(seal(plain)));
    const report = await verifySeal(bad);
    expect(problemOf(report)).toMatchObject({ code: 'SEAL_INVALID', clause: 'seal-placement' });
    expect((await refusal(bad, {})).message).toMatch(/a second seal was appended/);
  });

  it('signed with an untrusted key', async () => {
    const byB = seal(plain, { signingKey: testKeys().b.privateKeyPem, contract: CONTRACT });
    const report = await verifySeal(byB, { trustedKeys: trusted });
    expect(report.signers).toEqual([testKeys().b.keyid]);
    expect(problemOf(report)).toMatchObject({ code: 'UNTRUSTED_SIGNER', clause: 'trustedKeys' });
    const e = await refusal(byB);
    expect(e.code).toBe('UNTRUSTED_SIGNER');
    expect(e.message).toContain(testKeys().b.keyid.slice(0, 16));
  });

  it("a signature re-made by another key under the publisher's key id", async () => {
    const byB = seal(plain, { signingKey: testKeys().b.privateKeyPem, contract: CONTRACT });
    const forged = editSeal(byB, (doc) => {
      for (const env of doc.envelopes) env.signatures[0]!.keyid = testKeys().a.keyid;
      doc.keys[0]!.keyid = testKeys().a.keyid;
    });
    const report = await verifySeal(forged, { trustedKeys: trusted });
    expect(report.problems.map((p) => p.clause)).toContain('keys');
    expect(report.problems.some((p) => p.clause === 'signature')).toBe(true);
    expect((await refusal(forged)).code).toBe('SEAL_INVALID');
  });
});

describe('reproducibility', () => {
  it('two builds with SOURCE_DATE_EPOCH and the same key are byte-identical', () => {
    const saved = process.env['SOURCE_DATE_EPOCH'];
    process.env['SOURCE_DATE_EPOCH'] = '1700000000';
    try {
      const build = () => seal(smallWasm(), { signingKey: testKeys().a.privateKeyPem, contract: CONTRACT, options: { b: 1, a: { d: 2, c: 3 } } });
      const one = build();
      const two = build();
      expect(Buffer.from(one).equals(Buffer.from(two))).toBe(true);
      const doc = sealDocument(one);
      const provenance = decodePayload(doc.envelopes[0]!.payload) as { predicate: { runDetails: { metadata: Record<string, string> }; buildDefinition: { externalParameters: { options: unknown } } } };
      expect(provenance.predicate.runDetails.metadata).toMatchObject({ startedOn: '2023-11-14T22:13:20Z', finishedOn: '2023-11-14T22:13:20Z' });
      expect(JSON.stringify(provenance.predicate.buildDefinition.externalParameters.options)).toBe('{"a":{"c":3,"d":2},"b":1}');
    } finally {
      if (saved === undefined) delete process.env['SOURCE_DATE_EPOCH'];
      else process.env['SOURCE_DATE_EPOCH'] = saved;
    }
  });
});

import { describe, expect, it } from 'vitest';
import { mergeContracts, parseContractText, parseYaml, spdxExpressionProblem, validateContract } from '../../compiler/provenance/index.js';
import { EdgecRuntimeError, load } from '../../runtime/index.js';
import { seal, smallWasm, testKeys } from './helpers.js';

const invalid = (value: unknown) => {
  try {
    validateContract(value, 'c.json');
  } catch (e) {
    expect((e as { code: string }).code).toBe('CONTRACT_INVALID');
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('contract schema', () => {
  it('names the field of every problem, all at once', () => {
    const message = invalid({ licence: 'MIT', license: 'Apache 2.0', expires: '2025-02-30', permittedUses: 'medical-diagnosis', dataLineage: [{ name: 'x', digest: 'md5:00' }] });
    expect(message).toMatch(/^c\.json: invalid contract: /);
    expect(message).toContain("unknown field 'licence'");
    expect(message).toContain("'license': 'Apache 2.0' is not a valid SPDX license expression: unexpected '2.0' after 'Apache'");
    expect(message).toContain("'expires': '2025-02-30' is not a date (no such calendar day)");
    expect(message).toContain("'permittedUses' must be a list, got string");
    expect(message).toContain("'dataLineage[0].digest': 'md5:00' is not a digest");
  });

  it('checks dates, types and ordering', () => {
    expect(invalid({ notBefore: '31/12/2025' })).toMatch(/'notBefore': '31\/12\/2025' is not a date \(expected YYYY-MM-DD/);
    expect(invalid({ expires: 20250101 })).toMatch(/'expires' must be a non-empty string, got number 20250101/);
    expect(invalid({ notBefore: '2026-01-01', expires: '2025-01-01' })).toMatch(/'expires' \(2025-01-01\) must be later than 'notBefore'/);
    expect(invalid({ requiredSigners: ['ABC'] })).toMatch(/'requiredSigners\[0\]': 'ABC' is not a key id/);
    expect(invalid({ dataLineage: [{ digest: `sha256:${'0'.repeat(64)}` }] })).toMatch(/'dataLineage\[0\]\.name' is required/);
    expect(invalid({ model: { nmae: 'x' } })).toMatch(/unknown field 'model\.nmae'/);
    expect(invalid([1])).toMatch(/the contract must be an object, got a list/);
    expect(validateContract({ expires: '2026-01-31T12:00:00+02:00', notBefore: '2025-01-01' }, 'c')).toEqual({ notBefore: '2025-01-01', expires: '2026-01-31T12:00:00+02:00' });
  });

  it('parses SPDX license expressions', () => {
    for (const ok of ['MIT', 'Apache-2.0 OR MIT', '(MIT OR Apache-2.0) AND LicenseRef-acme-model', 'GPL-2.0-or-later WITH Classpath-exception-2.0', 'GPL-2.0+', 'DocumentRef-x:LicenseRef-y']) {
      expect(spdxExpressionProblem(ok), ok).toBeNull();
    }
    expect(spdxExpressionProblem('MIT AND')).toMatch(/ends where a license was expected/);
    expect(spdxExpressionProblem('mit or Apache-2.0')).toMatch(/operator 'or' must be upper case/);
    expect(spdxExpressionProblem('(MIT')).toMatch(/'\(' is not closed/);
    expect(spdxExpressionProblem('MIT WITH')).toMatch(/WITH must be followed by an exception/);
    expect(spdxExpressionProblem('')).toMatch(/empty/);
  });

  it('reads the YAML subset the same as JSON', () => {
    const yaml = `# model contract
license: Apache-2.0   # declared
licensor: "Example Labs: vision"
permittedUses: [image-classification, 'quality-inspection']
prohibitedUses:
  - biometric-identification
targets:
- wasm
notBefore: 2025-01-01
dataLineage:
  - name: ImageNet-1k
    digest: sha256:${'cd'.repeat(32)}
    license: LicenseRef-ImageNet
  - name: photos
model:
  name: tiny
  typeOfModel: []
`;
    const json = {
      license: 'Apache-2.0', licensor: 'Example Labs: vision', permittedUses: ['image-classification', 'quality-inspection'],
      prohibitedUses: ['biometric-identification'], targets: ['wasm'], notBefore: '2025-01-01',
      dataLineage: [{ name: 'ImageNet-1k', digest: `sha256:${'cd'.repeat(32)}`, license: 'LicenseRef-ImageNet' }, { name: 'photos' }],
      model: { name: 'tiny', typeOfModel: [] },
    };
    expect(parseYaml(yaml)).toEqual(json);
    expect(validateContract(parseContractText(yaml, 'c.yaml'), 'c.yaml')).toEqual(json);
    expect(() => parseContractText('license: &a MIT\n', 'c.yaml')).toThrow(/c\.yaml: the contract is not valid YAML: line 1: unsupported YAML feature '&'/);
    expect(() => parseYaml('a: 1\na: 2\n')).toThrow(/line 2: duplicate key 'a'/);
  });

  it('later sources win per field', () => {
    const merged = mergeContracts({ license: 'MIT', prohibitedUses: ['x'] }, { license: 'Apache-2.0', expires: '2030-01-01' });
    expect(merged).toEqual({ license: 'Apache-2.0', prohibitedUses: ['x'], expires: '2030-01-01' });
  });
});

describe('contract enforcement at load', () => {
  const { a, b } = testKeys();
  const artifact = (contract: Record<string, unknown>, key = a.privateKeyPem) => seal(smallWasm(), { signingKey: key, contract });
  const refuse = async (bytes: Uint8Array, options: Parameters<typeof load>[1]) => {
    const e = await load(bytes, options).then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(EdgecRuntimeError);
    return e as EdgecRuntimeError;
  };
  const now = new Date('2026-06-01T00:00:00Z');

  it('refuses a prohibited use and a use not permitted; allows a permitted one', async () => {
    const bytes = artifact({ permittedUses: ['image-classification', 'medical-diagnosis'], prohibitedUses: ['biometric-identification'] });
    const prohibited = await refuse(bytes, { intendedUse: 'biometric-identification', now });
    expect(prohibited.code).toBe('CONTRACT_VIOLATION');
    expect(prohibited.message).toBe("contract clause prohibitedUses: use 'biometric-identification' is prohibited");
    const other = await refuse(bytes, { intendedUse: 'surveillance', now });
    expect(other.message).toMatch(/permittedUses: use 'surveillance' is not permitted \(permitted: image-classification, medical-diagnosis\)/);
    await expect(load(bytes, { intendedUse: 'medical-diagnosis', trustedKeys: [a.publicKeyPem], now })).resolves.toBeDefined();
  });

  it('refuses outside notBefore / expires', async () => {
    const bytes = artifact({ notBefore: '2026-01-01', expires: '2027-01-01T00:00:00Z' });
    expect((await refuse(bytes, { now: new Date('2027-01-01T00:00:00Z') })).message).toMatch(/contract clause expires: expired on 2027-01-01T00:00:00Z/);
    expect((await refuse(bytes, { now: new Date('2025-12-31T23:59:59Z') })).message).toMatch(/contract clause notBefore: not yet valid: valid from 2026-01-01/);
    await expect(load(bytes, { now })).resolves.toBeDefined();
  });

  it('refuses a target the contract does not allow', async () => {
    const e = await refuse(artifact({ targets: ['rvv', 'k230'] }), { now });
    expect(e.code).toBe('CONTRACT_VIOLATION');
    expect(e.message).toMatch(/contract clause targets: target 'wasm' is not allowed \(allowed: rvv, k230\)/);
    await expect(load(artifact({ targets: ['wasm'] }), { now })).resolves.toBeDefined();
  });

  it('refuses an untrusted signer, and a required signer that has not signed', async () => {
    const byB = artifact({ license: 'MIT' }, b.privateKeyPem);
    const untrusted = await refuse(byB, { trustedKeys: [a.publicKeyPem], now });
    expect(untrusted.code).toBe('UNTRUSTED_SIGNER');
    expect(untrusted.message).toMatch(/not by a trusted key/);
    const needsB = artifact({ requiredSigners: [b.keyid] });
    const missing = await refuse(needsB, { now });
    expect(missing.code).toBe('UNTRUSTED_SIGNER');
    expect(missing.message).toMatch(/contract clause requiredSigners: required signer [0-9a-f]{16}… has not signed the seal/);
    await expect(load(artifact({ requiredSigners: [b.keyid] }, b.privateKeyPem), { now })).resolves.toBeDefined();
  });
});

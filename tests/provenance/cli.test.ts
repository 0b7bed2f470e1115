import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../compiler/cli/cli.js';
import { compileModel, readProvenance } from '../../compiler/index.js';
import { load } from '../../runtime/index.js';
import { modelPath } from '../support/shared.js';
import { flipped, ONNX_FLATTEN, sectionContent, stripLastSection, withMetadata } from './helpers.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'edgec-provenance-'));
const at = (name: string) => join(dir, name);
const CONTRACT_YAML = `license: Apache-2.0
licensor: Example Labs
permittedUses: [image-classification, medical-diagnosis]
prohibitedUses: [biometric-identification]
targets: [wasm]
expires: 2099-01-01
dataLineage:
  - name: ImageNet-1k
    digest: sha256:${'cd'.repeat(32)}
    license: LicenseRef-ImageNet
`;

beforeAll(async () => {
  expect((await cli('keygen', '-o', at('release'))).code).toBe(0);
  expect((await cli('keygen', '-o', at('other'))).code).toBe(0);
  writeFileSync(at('contract.yaml'), CONTRACT_YAML);
  const c = await cli('compile', ONNX_FLATTEN(), '-o', at('model.wasm'), '--contract', at('contract.yaml'), '--sign-key', at('release.pem'));
  expect(c.code, c.err).toBe(0);
});

describe('edgec keygen', () => {
  it('writes a PKCS#8 private key (0600) and its public key, and prints the key id', async () => {
    const r = await cli('keygen', '-o', at('k'), '--json');
    const { privatePath, publicPath, keyid } = JSON.parse(r.out);
    expect(statSync(privatePath).mode & 0o777).toBe(0o600);
    expect(readFileSync(privatePath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const der = createPublicKey(readFileSync(publicPath, 'utf8')).export({ type: 'spki', format: 'der' });
    expect(keyid).toBe(createHash('sha256').update(der).digest('hex'));
    const again = await cli('keygen', '-o', at('k'));
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/\[KEY_INVALID\] .*k\.pem exists; refusing to overwrite a private key/);
  });
});

describe('edgec compile --contract --sign-key, verify, provenance', () => {
  it('compile reports the seal; verify passes with the publisher key', async () => {
    const r = await cli('compile', ONNX_FLATTEN(), '-o', at('again.wasm'), '--contract', at('contract.yaml'), '--sign-key', at('release.pem'), '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.seal).toMatchObject({ signed: true, contract: true, keyid: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const v = await cli('verify', at('model.wasm'), '--key', at('release.pub.pem'), '--use', 'medical-diagnosis');
    expect(v.code, v.err).toBe(0);
    expect(v.out).toMatch(/verified .*model\.wasm: signed by trusted key [0-9a-f]{64}/);
    expect(v.out).toMatch(/contract holds for use 'medical-diagnosis'/);
  });

  it('verify fails, saying why: another key, a prohibited use, expiry, code or weights changed, seal stripped', async () => {
    const byOther = await cli('verify', at('model.wasm'), '--key', at('other.pub.pem'));
    expect(byOther.code).toBe(1);
    expect(byOther.err).toMatch(/\[UNTRUSTED_SIGNER\] .*not by a trusted key/);
    const prohibited = await cli('verify', at('model.wasm'), '--use', 'biometric-identification');
    expect(prohibited.err).toMatch(/\[CONTRACT_VIOLATION\] .*prohibitedUses: use 'biometric-identification' is prohibited/);
    const expired = await cli('verify', at('model.wasm'), '--now', '2100-01-01');
    expect(expired.code).toBe(1);
    expect(expired.err).toMatch(/expires: expired on 2099-01-01/);

    const bytes = readFileSync(at('model.wasm'));
    writeFileSync(at('code.wasm'), flipped(bytes, sectionContent(bytes, 10).end - 2));
    const code = await cli('verify', at('code.wasm'), '--key', at('release.pub.pem'));
    expect(code.code).toBe(1);
    expect(code.err).toMatch(/\[SEAL_INVALID\] .*the code changed/);
    writeFileSync(at('stripped.wasm'), stripLastSection(bytes));
    const stripped = await cli('verify', at('stripped.wasm'));
    expect(stripped.code).toBe(1);
    expect(stripped.err).toMatch(/\[SEAL_MISSING\] .*no seal \(never sealed, or the seal was stripped\)/);
    const notWasm = await cli('verify', ONNX_FLATTEN());
    expect(notWasm.code).toBe(1);
    expect(notWasm.err).toMatch(/\[SEAL_INVALID\] not an artifact kind that carries a seal/);
    const json = JSON.parse((await cli('verify', at('code.wasm'), '--json')).out);
    expect(json).toMatchObject({ ok: false, changed: ['code'], problems: [{ code: 'SEAL_INVALID', clause: 'digest' }] });
  });

  it('provenance tells the story: source model, build, contract, lineage', async () => {
    const p = await cli('provenance', at('model.wasm'));
    expect(p.code).toBe(0);
    const sourceSha = createHash('sha256').update(readFileSync(ONNX_FLATTEN())).digest('hex');
    expect(p.out).toContain(`model.onnx  sha256 ${sourceSha}`);
    expect(p.out).toMatch(/for wasm with edgec 0\.1\.0, binaryen \d+/);
    expect(p.out).toMatch(/license Apache-2\.0/);
    expect(p.out).toMatch(/prohibited uses biometric-identification/);
    expect(p.out).toMatch(/lineage +ImageNet-1k  sha256:cdcd/);
    expect(p.out).toMatch(/integrity +ok/);
    const json = JSON.parse((await cli('provenance', at('model.wasm'), '--json')).out);
    expect(json.contract.targets).toEqual(['wasm']);
    expect(json.provenance.predicate.buildDefinition.externalParameters.target).toBe('wasm');
  });

  it("takes the contract from the model's metadata_props, the file winning per field", async () => {
    const model = withMetadata(ONNX_FLATTEN(), at('with-contract.onnx'), { 'edgec.contract': JSON.stringify({ license: 'MIT', attribution: 'from the model' }) });
    writeFileSync(at('license.json'), JSON.stringify({ license: 'Apache-2.0' }));
    expect((await cli('compile', model, '-o', at('meta.wasm'), '--contract', at('license.json'))).code).toBe(0);
    const record = readProvenance(readFileSync(at('meta.wasm')));
    expect(record.contract).toEqual({ license: 'Apache-2.0', attribution: 'from the model' });
    expect(record.keyids).toEqual([]);
    const v = await cli('verify', at('meta.wasm'));
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/unsigned \(the seal holds digests only\)/);
  });

  it('rejects a bad contract in one line naming the file and the field, before compiling', async () => {
    writeFileSync(at('bad.yaml'), 'license: Apache 2.0\nexpires: 2025-13-01\nuses: [x]\n');
    const r = await cli('compile', ONNX_FLATTEN(), '-o', at('bad.wasm'), '--contract', at('bad.yaml'));
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/\[CONTRACT_INVALID\] .*bad\.yaml: invalid contract: unknown field 'uses'.*'license': 'Apache 2\.0'.*'expires': '2025-13-01' is not a date/);
    writeFileSync(at('rvv-only.json'), JSON.stringify({ targets: ['rvv'] }));
    const target = await cli('compile', ONNX_FLATTEN(), '-o', at('t.wasm'), '--contract', at('rvv-only.json'));
    expect(target.err).toMatch(/\[CONTRACT_INVALID\] .*the contract allows targets rvv, not 'wasm'/);
  });

  it('two builds with SOURCE_DATE_EPOCH and the same key are byte-identical', async () => {
    const saved = process.env['SOURCE_DATE_EPOCH'];
    process.env['SOURCE_DATE_EPOCH'] = '1735689600';
    const builds: Buffer[] = [];
    try {
      // Same output path both times: the file name is the statements' subject name.
      for (let i = 0; i < 2; i++) {
        expect((await cli('compile', ONNX_FLATTEN(), '-o', at('r.wasm'), '--contract', at('contract.yaml'), '--sign-key', at('release.pem'))).code).toBe(0);
        builds.push(readFileSync(at('r.wasm')));
      }
    } finally {
      if (saved === undefined) delete process.env['SOURCE_DATE_EPOCH'];
      else process.env['SOURCE_DATE_EPOCH'] = saved;
    }
    expect(builds[0]!.equals(builds[1]!)).toBe(true);
    const record = readProvenance(builds[0]!);
    expect((record.provenance!.predicate['runDetails'] as { metadata: { finishedOn: string } }).metadata.finishedOn).toBe('2025-01-01T00:00:00Z');
  });
});

describe('library API', () => {
  it('compileModel imports, compiles and seals, reproducibly under SOURCE_DATE_EPOCH', async () => {
    const saved = process.env['SOURCE_DATE_EPOCH'];
    process.env['SOURCE_DATE_EPOCH'] = '1735689600';
    try {
      const build = () => compileModel(ONNX_FLATTEN(), { target: 'wasm', signingKey: at('release.pem'), contract: { license: 'MIT', permittedUses: ['testing'] } });
      const a = build();
      const b = build();
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      const model = await load(a.bytes, { trustedKeys: [readFileSync(at('release.pub.pem'), 'utf8')], intendedUse: 'testing' });
      expect(model.seal?.trustedSigners).toEqual([a.sealed!.keyid]);
    } finally {
      if (saved === undefined) delete process.env['SOURCE_DATE_EPOCH'];
      else process.env['SOURCE_DATE_EPOCH'] = saved;
    }
  });

  it('seals a real model (squeezenet), detects a changed weight and loads the signed artifact', async () => {
    const compiled = compileModel(modelPath('squeezenet1_1'), { target: 'wasm', signingKey: at('release.pem'), contract: { license: 'BSD-3-Clause' } });
    writeFileSync(at('squeezenet.wasm'), compiled.bytes);
    const v = await cli('verify', at('squeezenet.wasm'), '--key', at('release.pub.pem'));
    expect(v.code, v.err).toBe(0);
    const bytes = readFileSync(at('squeezenet.wasm'));
    const data = sectionContent(bytes, 11);
    writeFileSync(at('squeezenet-weights.wasm'), flipped(bytes, Math.floor((data.start + data.end) / 2)));
    const tampered = await cli('verify', at('squeezenet-weights.wasm'), '--key', at('release.pub.pem'));
    expect(tampered.err).toMatch(/the weights changed/);
    const model = await load(compiled.bytes, { trustedKeys: [readFileSync(at('release.pub.pem'), 'utf8')] });
    expect(model.outputs[0]!.shape).toEqual([1, 1000]);
  }, 240_000);
});

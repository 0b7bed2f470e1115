import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { elfSections } from '../../runtime/formats/elf.js';
import { elfSealDescriptor } from '../../runtime/formats/elf-seal-note.js';
import { verifySeal } from '../../runtime/seal.js';
import { modelPath } from '../support/shared.js';
import { cli, rvvToolsReady } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-rvv-seal-'));
const at = (name: string) => join(dir, name);
const flipped = (bytes: Uint8Array, i: number) => {
  const out = bytes.slice();
  out[i] ^= 0x01;
  return out;
};

// `edgec compile --target rvv -o out/` writes the sources and the sealed ELF; verify/provenance read the ELF note.
describe.runIf(rvvToolsReady())('rvv: compile into a folder, seal in the ELF note, verify, run', () => {
  let elf: Uint8Array;
  beforeAll(async () => {
    expect((await cli('keygen', '-o', at('release'))).code).toBe(0);
    const c = await cli('compile', modelPath('tiny_encoder'), '--input-shape', 'input=1,32,64', '--target', 'rvv', '-o', at('out'), '--sign-key', at('release.pem'), '--json');
    expect(c.code, c.err).toBe(0);
    expect(JSON.parse(c.out).files).toEqual(['edgec_model.h', 'edgec_model.o', 'libedgec_model.a', 'main.c', 'model.c', 'model.elf', 'weights.S', 'weights.bin', 'weights.o']);
    elf = new Uint8Array(readFileSync(at('out/model.elf')));
    expect(statSync(at('out/model.elf')).mode & 0o111, 'model.elf is executable').not.toBe(0);
  }, 120_000);

  it('verify passes with the key; provenance names the target and clang', async () => {
    const v = await cli('verify', at('out/model.elf'), '--key', at('release.pub.pem'));
    expect(v.code, v.err).toBe(0);
    const p = await cli('provenance', at('out/model.elf'), '--json');
    expect(p.out).toMatch(/"target": "rvv"/);
    expect(p.out).toMatch(/"name": "clang"/);
  });

  it('the object file is sealed too (its own subject), the weights object is not', async () => {
    const v = await cli('verify', at('out/edgec_model.o'), '--key', at('release.pub.pem'));
    expect(v.code, v.err).toBe(0);
    const p = await cli('provenance', at('out/edgec_model.o'), '--json');
    expect(p.out).toMatch(/"name": "edgec_model.o"/);
    expect((await cli('verify', at('out/weights.o'))).code).toBe(1);
  });

  it('one byte of code changed: verify fails and says the code changed', async () => {
    const text = elfSections(elf).find((s) => s.name === '.text')!;
    writeFileSync(at('code.elf'), flipped(elf, text.offset + 100));
    const v = await cli('verify', at('code.elf'), '--key', at('release.pub.pem'));
    expect(v.code).toBe(1);
    expect(v.err).toMatch(/\[SEAL_INVALID\] .*the code changed/);
  });

  it('one byte of weights changed, or the seal zeroed: each reported as such', async () => {
    const rodata = elfSections(elf).find((s) => s.name === '.rodata')!;
    expect((await verifySeal(flipped(elf, rodata.offset + rodata.size - 8))).changed).toEqual(['weights']);
    const d = elfSealDescriptor(elf)!;
    const stripped = elf.slice();
    stripped.fill(0, d.start, d.end);
    const report = await verifySeal(stripped);
    expect(report.sealed).toBe(false);
  });

  it('edgec run runs the sealed ELF under qemu', async () => {
    const r = await cli('run', at('out/model.elf'), '--vlen', '128', '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.target).toBe('rvv (qemu, VLEN 128)');
    expect(Object.keys(report.outputs)).toHaveLength(1);
  });
});

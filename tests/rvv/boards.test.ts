import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTargetAndBoard } from '../../compiler/cli/commands/compile.js';
import { BOARDS, boardNamed } from '../../targets/boards.js';
import { modelPath } from '../support/shared.js';
import { cli, rvvToolsReady } from './harness.js';

describe('board profiles', () => {
  it('cover generic rv64gcv at VLEN 128/256/512 and the SpacemiT K1 (VLEN 256, int8 preferred)', () => {
    expect([...BOARDS.keys()]).toEqual(['generic-rv64gcv-vlen128', 'generic-rv64gcv-vlen256', 'generic-rv64gcv-vlen512', 'k1']);
    expect(boardNamed('k1')).toMatchObject({ target: 'rvv', vlen: 256, preferInt8: true });
    expect(() => boardNamed('pi5')).toThrow(/unknown board 'pi5'/);
  });

  it('--board picks the target; a conflicting --target is refused', () => {
    expect(resolveTargetAndBoard(undefined, 'k1').target).toBe('rvv');
    expect(resolveTargetAndBoard(undefined, undefined).target).toBe('wasm');
    expect(() => resolveTargetAndBoard('wasm', 'k1')).toThrow(/board k1 takes target rvv, not wasm/);
  });
});

describe.runIf(rvvToolsReady())('edgec compile / run --board k1', () => {
  it('compiles for rvv, records the board in the seal, and runs at the board VLEN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-board-'));
    const c = await cli('compile', modelPath('tiny_encoder'), '--input-shape', 'input=1,32,64', '--board', 'k1', '-o', join(dir, 'k1'), '--json');
    expect(c.code, c.err).toBe(0);
    expect(JSON.parse(c.out)).toMatchObject({ target: 'rvv', board: 'k1' });
    const p = await cli('provenance', join(dir, 'k1', 'model.elf'), '--json');
    expect(p.out).toMatch(/"board": "k1"/);
    const r = await cli('run', join(dir, 'k1', 'model.elf'), '--board', 'k1', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).target).toBe('rvv (qemu, VLEN 256)');
  }, 60_000);
});

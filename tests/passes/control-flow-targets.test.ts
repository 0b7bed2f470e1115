import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../../ir/index.js';
import { pipelineFor } from '../../passes/pipelines.js';
import { expectWasmMatchesReference } from '../wasm/harness.js';

/**
 * Loop and Scan with static trip counts, unrolled by the standard pipeline, run on a compiled target with its
 * existing kernels and match the reference interpreter running the loops as loops.
 */
const golden = (file: string) => {
  const text = readFileSync(join(__dirname, 'golden', 'unroll-loops', file), 'utf8');
  return () => parseGraph(text);
};

describe('unrolled control flow on wasm', () => {
  for (const file of ['loop.ir', 'scan.ir']) {
    it(`${file}: the -O2 pipeline unrolls it and wasm matches the reference`, async () => {
      const { artifact } = await expectWasmMatchesReference(golden(file), { pipeline: pipelineFor(2, 'plan-memory') });
      expect(artifact.bytes.length).toBeGreaterThan(0);
    });
  }
});

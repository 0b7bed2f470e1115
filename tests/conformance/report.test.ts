import { describe, expect, it } from 'vitest';
import { compiledTargets } from '../../compiler/targets/registry.js';
import { opsReport } from './report.js';
import type { CaseResult } from './runner.js';

// docs/ops.md keeps a shape known only from the data apart from the gaps of each target: it is a property of
// the targets that plan memory at compile time, not a kernel to write.
describe('the conformance report', () => {
  it('lists data-dependent output shapes once, as a property of the static-shape targets, not as a target gap', () => {
    const targets = compiledTargets();
    const names = targets.map((t) => t.target.name);
    const verdict = (detail: string, dataDependentShape?: boolean) =>
      Object.fromEntries(names.map((n) => [n, { status: 'unsupported' as const, detail, ...(dataDependentShape ? { dataDependentShape } : {}) }]));
    const results: CaseResult[] = [
      { suite: 'node', name: 'test_data_shaped', ops: ['Reshape'], status: 'pass', targets: verdict('plan-memory needs static shapes, but %y is f32[?]', true) },
      { suite: 'node', name: 'test_f16_add', ops: ['Add'], status: 'pass', targets: verdict('Add on f16 is not supported') },
    ];
    const report = opsReport(results, targets);
    const section = report.split('## Cases whose output shapes depend on their data')[1]!.split('\n## ')[0]!;
    expect(section).toContain(`${names.join(', ')} plan every buffer at compile time`);
    expect(section).toContain('- `node/test_data_shaped` (Reshape)');
    for (const n of names) {
      const gaps = report.split(`## Cases the ${n} target does not support`)[1]!.split('\n## ')[0]!;
      expect(gaps).toContain('test_f16_add');
      expect(gaps).not.toContain('test_data_shaped');
    }
  });
});

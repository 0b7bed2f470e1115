import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSpecifiers, ROOT, sourceFiles } from './source-imports.js';

// The layering rule of docs/DESIGN.md (docs/ARCHITECTURE.md), checked on the import statements of the source tree.

/** Each import of the files in `folder`: the importing file and the repository path it reaches (null: a package). */
function importsOf(folder: string): { file: string; target: string | null; specifier: string }[] {
  return sourceFiles(folder).flatMap((file) =>
    importSpecifiers(readFileSync(join(ROOT, file), 'utf8')).map((specifier) => ({
      file,
      specifier,
      target: specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier)) : null,
    })),
  );
}

const inside = (path: string | null, folder: string) => path !== null && (path + '/').startsWith(folder + '/');
const show = (list: { file: string; specifier: string }[]) => list.map((i) => `${i.file} imports '${i.specifier}'`);

describe('layers: who may import whom', () => {
  it('finds multi-line, type-only, re-export, side-effect and dynamic imports, and skips comments', () => {
    const source = [
      "import {\n  a,\n  b,\n} from './multi.js';",
      "import type { T } from '../types.js';",
      "export { c } from './re.js';",
      "export * from './star.js';",
      "import './side-effect.js';",
      "const m = await import('./dynamic.js');",
      "// import { x } from './commented.js';",
      "/* export { y } from './block.js'; */",
      "export const z = 1; // reads from 'nowhere'",
    ].join('\n');
    expect(importSpecifiers(source).sort()).toEqual(['../types.js', './dynamic.js', './multi.js', './re.js', './side-effect.js', './star.js']);
  });

  it('runtime/formats/ imports only runtime/formats/ (no packages either)', () => {
    const imports = importsOf('runtime/formats');
    expect(imports.length).toBeGreaterThan(5);
    expect(show(imports.filter((i) => !inside(i.target, 'runtime/formats')))).toEqual([]);
  });

  it('runtime/ imports only runtime/ (it ships to devices: no packages)', () => {
    const imports = importsOf('runtime');
    expect(imports.some((i) => inside(i.target, 'runtime/formats'))).toBe(true);
    expect(show(imports.filter((i) => !inside(i.target, 'runtime')))).toEqual([]);
  });

  it('ir/ imports nothing of ours outside ir/', () => {
    const imports = importsOf('ir');
    expect(imports.length).toBeGreaterThan(10);
    expect(show(imports.filter((i) => i.target !== null && !inside(i.target, 'ir')))).toEqual([]);
  });

  it('targets/ reach runtime/ only through runtime/formats/', () => {
    const imports = importsOf('targets');
    expect(imports.some((i) => inside(i.target, 'runtime/formats'))).toBe(true);
    expect(show(imports.filter((i) => inside(i.target, 'runtime') && !inside(i.target, 'runtime/formats')))).toEqual([]);
  });
});

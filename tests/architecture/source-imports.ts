import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The source tree's files and what each imports, read by the TypeScript scanner itself (ts.preProcessFile):
 * static, type-only, re-export, side-effect and dynamic imports, never text inside comments. The layering and
 * import-cycle tests both read the tree through this.
 */

export const ROOT = resolve(__dirname, '../..');

/** The .ts files under a folder of the repository, as repository paths, sorted. */
export function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

/** The module specifiers a TypeScript source imports or re-exports. */
export function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSpecifiers, ROOT, sourceFiles } from './source-imports.js';

/**
 * The project's source files form an acyclic import graph: a cycle makes module initialization order matter
 * (a constant read before its module ran is undefined) and makes layers impossible to take apart. Every
 * relative import of every .ts file under the source folders is an edge (type-only imports too: a type
 * cycle is still two modules that cannot be understood one without the other). The strongly connected
 * components with more than one file, or a file importing itself, are the cycles.
 */
const SOURCE_FOLDERS = ['ir', 'passes', 'targets', 'compiler', 'runtime', 'bench'];

/** The project files a file imports (relative specifiers only; `.js` in a specifier names the `.ts` source). */
function importsOf(file: string, text: string, known: ReadonlySet<string>): string[] {
  return importSpecifiers(text)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => {
      const base = resolve(dirname(file), spec).replace(/\.js$/, '');
      return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => known.has(candidate));
    })
    .filter((f): f is string => f !== undefined);
}

/** Strongly connected components (Tarjan, with an explicit stack so no recursion). */
function stronglyConnected(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const to = edges[frame.next++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

/** One concrete cycle through `start` inside its component (breadth-first, so the shortest), as a path. */
function cycleThrough(start: string, graph: ReadonlyMap<string, readonly string[]>, component: ReadonlySet<string>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!;
    for (const to of graph.get(at) ?? []) {
      if (!component.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let back = at; back !== start; back = cameFrom.get(back)!) path.splice(1, 0, back);
        return [...path, start];
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, at);
        queue.push(to);
      }
    }
  }
  return [start];
}

/** Every import cycle of a graph, each named by one path through it (`a.ts -> b.ts -> a.ts`). */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  return stronglyConnected(graph)
    .filter((c) => c.length > 1 || (graph.get(c[0]!) ?? []).includes(c[0]!))
    .map((c) => {
      const first = [...c].sort()[0]!;
      return cycleThrough(first, graph, new Set(c)).join(' -> ');
    })
    .sort();
}

describe('import graph of the source files', () => {
  it('finds a cycle when there is one, and names it', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    expect(importCycles(graph)).toEqual(['a.ts -> b.ts -> c.ts -> a.ts', 'e.ts -> e.ts']);
    expect(importCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toEqual([]);
  });

  it('reads relative imports, exports and type imports through .js specifiers', () => {
    const known = new Set(['/p/a.ts', '/p/b.ts', '/p/c/index.ts', '/p/d.ts']);
    const text = "import type { X } from './b.js';\nexport { y } from './c/index.js';\nimport z from 'typescript';\nimport './d.js';\n";
    expect(importsOf('/p/a.ts', text, known).sort()).toEqual(['/p/b.ts', '/p/c/index.ts', '/p/d.ts']);
  });

  it('has no cycle among ir, passes, targets, compiler, runtime and bench', () => {
    const files = SOURCE_FOLDERS.flatMap(sourceFiles).map((f) => join(ROOT, f));
    expect(files.length).toBeGreaterThan(100);
    const known = new Set(files);
    const graph = new Map(files.map((f) => [f, importsOf(f, readFileSync(f, 'utf8'), known)] as const));
    const named = new Map([...graph].map(([f, to]) => [relative(ROOT, f), to.map((t) => relative(ROOT, t))] as const));
    expect(importCycles(named)).toEqual([]);
  });
});

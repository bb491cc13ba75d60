import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One module of the tree: its path from the repository root and what it imports. */
export interface ModuleNode {
  /** e.g. `lambdas/core/decision.ts`. */
  readonly file: string;
  /** The project's own modules it imports (static, re-exports, type-only and dynamic `import()`), as root paths. */
  readonly local: readonly string[];
  /** Package imports, e.g. `@aws-sdk/client-s3`. */
  readonly packages: readonly string[];
}

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function resolveLocal(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [base, `${base}.ts`, join(base, 'index.ts'), base.replace(/\.m?js$/, '.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** The import graph of the given top-level folders, read with TypeScript's own pre-processor. */
export function importGraph(folders: readonly string[]): Map<string, ModuleNode> {
  const graph = new Map<string, ModuleNode>();
  for (const folder of folders) {
    for (const path of sources(join(ROOT, folder), [])) {
      const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
      const local: string[] = [];
      const packages: string[] = [];
      for (const { fileName } of info.importedFiles) {
        if (!fileName.startsWith('.')) {
          packages.push(fileName);
          continue;
        }
        const target = resolveLocal(path, fileName);
        if (target === undefined) throw new Error(`${relative(ROOT, path)}: cannot resolve the import '${fileName}'`);
        local.push(relative(ROOT, target));
      }
      const file = relative(ROOT, path);
      graph.set(file, { file, local, packages });
    }
  }
  return graph;
}

/**
 * The cycles of a graph: its strongly connected components with more than one module, or one
 * module importing itself (Tarjan's algorithm, iterative so a deep tree cannot overflow the stack).
 */
export function cycles(graph: ReadonlyMap<string, ModuleNode>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  const edges = (v: string): readonly string[] => (graph.get(v)?.local ?? []).filter((w) => graph.has(w));
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { v: string; i: number }[] = [{ v: start, i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const out = edges(frame.v);
      if (frame.i < out.length) {
        const w = out[frame.i++]!;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.v;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.v)!));
      }
      if (low.get(frame.v) === index.get(frame.v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.v);
        if (component.length > 1 || out.includes(frame.v)) found.push(component.sort());
      }
    }
  }
  return found;
}

/** One loop through a cycle's modules, as `a → b → … → a`, so a failure shows the imports to cut. */
export function loopThrough(graph: ReadonlyMap<string, ModuleNode>, component: readonly string[]): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v)?.local ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return [...path, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component];
}

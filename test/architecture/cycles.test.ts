import { describe, expect, it } from 'vitest';
import { cycles, importGraph, loopThrough, type ModuleNode } from './graph';

/** The folders whose modules must import one another one way only. */
const FOLDERS = ['lambdas', 'lib', 'cli', 'drills', 'bin', 'bench'];

const node = (file: string, ...local: string[]): [string, ModuleNode] => [file, { file, local, packages: [] }];

describe('import cycles', () => {
  it('finds a cycle of three, a module importing itself, and none in a chain', () => {
    const graph = new Map([node('a', 'b'), node('b', 'c'), node('c', 'a'), node('d', 'd'), node('e', 'a'), node('f')]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c'], ['d']]);
    expect(cycles(new Map([node('a', 'b'), node('b', 'c'), node('c')]))).toEqual([]);
    expect(loopThrough(graph, ['a', 'b', 'c'])).toEqual(['a', 'b', 'c', 'a']);
  });

  it(`there are none in ${FOLDERS.join(', ')}`, () => {
    const graph = importGraph(FOLDERS);
    expect(graph.size).toBeGreaterThan(300);
    expect(cycles(graph).map((c) => `${c.length} modules, e.g. ${loopThrough(graph, c).join(' → ')}`)).toEqual([]);
  });
});

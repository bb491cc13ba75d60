import { describe, expect, it } from 'vitest';
import { importGraph, type ModuleNode } from './graph';

/**
 * The floors of `lambdas/` (docs/architecture.md), lowest first. A module may import its own
 * folder and any folder on a lower floor; two folders on one floor do not import each other
 * unless a pair below says so.
 */
const FLOORS: readonly (readonly string[])[] = [
  ['util'],
  ['config'],
  ['core'],
  ['ledger', 'analysis'],
  ['adapters'],
  ['guardrails', 'escalation'],
  ['runtimes', 'checkpoint'],
  ['engine'],
  ['playbooks', 'operations'],
  ['(top)', 'handlers'],
];

/** Folders on one floor where one may use the other (the first imports the second). */
const SIDEWAYS: readonly [string, string][] = [
  ['escalation', 'guardrails'],
  ['runtimes', 'checkpoint'],
  ['handlers', '(top)'],
];

/** Only the adapters speak to AWS. */
const SDK = /^@aws-sdk\/client-/;

/** The floor folder of a `lambdas/` module, and for a playbook or an operation its own folder. */
function place(file: string): { folder: string; unit?: string } | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'lambdas') return undefined;
  if (parts.length === 2) return { folder: '(top)' };
  const folder = parts[1]!;
  const unit = (folder === 'playbooks' || folder === 'operations') && parts.length > 3 ? `${folder}/${parts[2]}` : undefined;
  return { folder, unit };
}

const floorOf = (folder: string): number => FLOORS.findIndex((f) => f.includes(folder));

/** Every import that goes up a floor, sideways without leave, or from one playbook or operation into another. */
function violations(graph: ReadonlyMap<string, ModuleNode>): string[] {
  const found: string[] = [];
  for (const { file, local, packages } of graph.values()) {
    const from = place(file);
    if (from === undefined) continue;
    if (floorOf(from.folder) < 0) found.push(`${file}: the folder ${from.folder} is on no floor`);
    for (const p of packages) if (SDK.test(p) && from.folder !== 'adapters') found.push(`${file} imports ${p}: only lambdas/adapters calls AWS`);
    for (const target of local) {
      const to = place(target);
      if (to === undefined) {
        found.push(`${file} imports ${target}, outside lambdas/`);
        continue;
      }
      if (to.folder === from.folder) {
        if (from.unit !== undefined && to.unit !== undefined && from.unit !== to.unit)
          found.push(`${file} imports ${target}: one ${from.folder.slice(0, -1)} never imports another`);
        if (from.unit !== undefined && to.unit === undefined && to.folder === from.folder && from.unit !== undefined) {
          // a playbook may use its folder's shared contracts, but not the list of all playbooks
          if (/\/(registry|manifests|settings)\.ts$/.test(target))
            found.push(`${file} imports ${target}: a ${from.folder.slice(0, -1)} does not know the others`);
        }
        continue;
      }
      const up = floorOf(to.folder) - floorOf(from.folder);
      const sideways = up === 0 && SIDEWAYS.some(([a, b]) => a === from.folder && b === to.folder);
      if (up > 0 || (up === 0 && !sideways)) found.push(`${file} imports ${target}: ${from.folder} may not import ${to.folder}`);
    }
  }
  return found.sort();
}

const node = (file: string, local: string[], packages: string[] = []): [string, ModuleNode] => [file, { file, local, packages }];

describe('the floors of lambdas/', () => {
  it('names an import that goes up, sideways, across playbooks, or to the SDK outside the adapters', () => {
    const graph = new Map([
      node('lambdas/config/schema.ts', ['lambdas/playbooks/settings.ts']),
      node('lambdas/analysis/lag.ts', ['lambdas/adapters/s3.ts', 'lambdas/core/decision.ts']),
      node('lambdas/playbooks/a/plan.ts', ['lambdas/playbooks/b/plan.ts', 'lambdas/playbooks/a/diagnose.ts', 'lambdas/runtimes/x.ts']),
      node('lambdas/ledger/x.ts', ['lambdas/analysis/y.ts']),
      node('lambdas/escalation/x.ts', ['lambdas/guardrails/y.ts'], ['@aws-sdk/client-sns']),
      node('lambdas/adapters/s3.ts', ['lambdas/core/errors.ts'], ['@aws-sdk/client-s3']),
    ]);
    expect(violations(graph)).toEqual([
      'lambdas/analysis/lag.ts imports lambdas/adapters/s3.ts: analysis may not import adapters',
      'lambdas/config/schema.ts imports lambdas/playbooks/settings.ts: config may not import playbooks',
      'lambdas/escalation/x.ts imports @aws-sdk/client-sns: only lambdas/adapters calls AWS',
      'lambdas/ledger/x.ts imports lambdas/analysis/y.ts: ledger may not import analysis',
      'lambdas/playbooks/a/plan.ts imports lambdas/playbooks/b/plan.ts: one playbook never imports another',
    ]);
  });

  it('every module of lambdas/ keeps to its floor', () => {
    expect(violations(importGraph(['lambdas']))).toEqual([]);
  });
});

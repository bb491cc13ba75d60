import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * The Lambda entry of each playbook and operation, written at synth: a registry line is all a
 * new playbook needs for its function. Each entry imports only its own folder
 * (`lambdas/playbooks/<id>` or `lambdas/operations/<id>`), so esbuild bundles one playbook per
 * function; the dead-letter function keeps its own file (lambdas/handlers/dead-letters.ts).
 */

export type EntryKind = 'playbook' | 'operation';

/** Where the entries are written, under the project root (ignored by git). */
export const ENTRY_DIR = join('.streamfix', 'entries');

/** The export of a playbook's or an operation's folder: `job-failed` → `jobFailedPlaybook`. */
export const entryExportName = (id: string, kind: EntryKind): string =>
  `${id.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase())}${kind === 'playbook' ? 'Playbook' : 'Operation'}`;

const importPath = (from: string, to: string): string => {
  const r = relative(from, to).split('\\').join('/');
  return r.startsWith('.') ? r : `./${r}`;
};

/** The entry's source: the folder's playbook (or operation) wrapped in its Lambda handler. */
export function entrySource(projectRoot: string, id: string, kind: EntryKind, dir: string): string {
  const lambdas = join(projectRoot, 'lambdas');
  const [wrapper, wrapperModule, folder] =
    kind === 'playbook' ? ['lambdaHandler', 'lambda', 'playbooks'] : ['operationLambdaHandler', 'operation-lambda', 'operations'];
  const name = entryExportName(id, kind);
  return [
    `// Written by lib/entries.ts at synth: the Lambda entry of the ${id} ${kind}.`,
    `import { ${name} } from '${importPath(dir, join(lambdas, folder, id))}';`,
    `import { ${wrapper} } from '${importPath(dir, join(lambdas, 'handlers', wrapperModule))}';`,
    '',
    `export const handler = ${wrapper}(${name});`,
    '',
  ].join('\n');
}

/** Writes the entry (when its content changed) and returns its path. */
export function writeEntry(projectRoot: string, id: string, kind: EntryKind, dir = join(projectRoot, ENTRY_DIR)): string {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new Error(`${kind} id "${id}": must be lowercase letters, digits and dashes (its folder's name)`);
  const file = join(dir, `${id}.ts`);
  const source = entrySource(projectRoot, id, kind, dir);
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== source) {
    mkdirSync(dirname(file), { recursive: true });
    // Written aside and renamed (atomic): a bundler reading the entry never sees half of it.
    const aside = `${file}.${process.pid}.tmp`;
    writeFileSync(aside, source);
    renameSync(aside, file);
  }
  return file;
}

import { InvalidInputError } from '../core/errors';
import type { PlaybookHandler, RuntimeDeps } from '../engine/runtime';
import { playbooks } from '../playbooks/registry';
import { createHandler } from './create';

/** A playbook's handler by id, for the drills and the CLI. */
export function createPlaybookHandler(playbookId: string, deps: RuntimeDeps): PlaybookHandler {
  const playbook = playbooks[playbookId];
  if (!playbook) throw new InvalidInputError('playbook', `unknown playbook "${playbookId}" (known: ${Object.keys(playbooks).join(', ')})`);
  return createHandler(playbook, deps);
}

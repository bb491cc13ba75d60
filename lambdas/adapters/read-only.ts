import type { Pluggable } from '@smithy/types';
import { StreamfixError } from '../core/errors';

/**
 * An SDK plugin that lets only reads through: `streamfix plan` and `validate --live` run the
 * playbooks' diagnoses and look at the account with it, so whatever code they reach, nothing is
 * written. An operation is a read when its name starts with a read verb (AWS API naming:
 * Get…, List…, Describe…, Head…, …); any other is refused before it is signed or sent.
 */

const READ = /^(Get|List|Describe|Head|Simulate|Query|Scan|BatchGet|Filter|Lookup|Search)[A-Z]?/;

export class ReadOnlyViolationError extends StreamfixError {
  override readonly name = 'ReadOnlyViolationError';
}

export const isReadOperation = (commandName: string): boolean => READ.test(commandName.replace(/Command$/, ''));

// biome-ignore lint/suspicious/noExplicitAny: the SDK types a plugin for any client as Pluggable<any, any>
export function readOnlyPlugin(): Pluggable<any, any> {
  return {
    applyToStack: (stack) => {
      stack.add(
        (next, context) => async (args) => {
          const command = String(context.commandName ?? '');
          if (!isReadOperation(command)) {
            throw new ReadOnlyViolationError(
              `${context.clientName ?? 'client'} ${command.replace(/Command$/, '')} refused: this command only reads (read-only run)`,
            );
          }
          return next(args);
        },
        { step: 'initialize', name: 'streamfixReadOnly', priority: 'high' },
      );
    },
  };
}

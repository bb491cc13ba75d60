import { StreamfixError } from '../util/errors';

/** Configuration is invalid; every issue names its path. */
export class ConfigError extends StreamfixError {
  override readonly name = 'ConfigError';
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid streamfix config:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
}

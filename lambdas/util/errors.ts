/**
 * One base class for every error streamfix raises on purpose. `cause` is always passed on.
 * Errors that carry a `field` name the input path that was wrong (`detail.state.value`).
 * On the lowest floor so that config/ (ConfigError) and core/ (the rest) share it.
 */
export class StreamfixError extends Error {
  override readonly name: string = 'StreamfixError';
  /** Safe to retry the whole invocation (transient). */
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

import { readFileSync } from 'node:fs';

/**
 * Recorded AWS replies under test/fixtures/aws/<service>/. Each file holds what `client.send`
 * resolved with, serialized with JSON.stringify (so timestamps are ISO strings, turned back into
 * Dates here). A paginated operation's file holds its pages in call order. `errors.json` holds
 * the service's recorded error replies by error name.
 */
const ROOT = new URL('../fixtures/aws/', import.meta.url);
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function load(service: string, file: string): unknown {
  const text = readFileSync(new URL(`${service}/${file}.json`, ROOT), 'utf8');
  return JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' && ISO_TIMESTAMP.test(value) ? new Date(value) : value));
}

/** One recorded reply. */
export function reply<T>(service: string, operation: string): T {
  return load(service, operation) as T;
}

/** The recorded pages of a paginated operation, in call order. */
export function pages<T>(service: string, operation: string): T[] {
  const all = load(service, operation);
  if (!Array.isArray(all)) throw new Error(`${service}/${operation}.json is not a list of pages`);
  return all as T[];
}

interface RecordedError {
  $fault: 'client' | 'server';
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
  message: string;
}

/**
 * A recorded error reply, rebuilt as the service's exception the way the SDK builds one: the
 * client's base ServiceException class carrying the error's name, fault and metadata.
 */
export function recordedError<E>(Base: new (options: { name: string } & RecordedError) => E, service: string, name: string): E {
  const all = load(service, 'errors') as Record<string, RecordedError>;
  const rec = all[name];
  if (!rec) throw new Error(`no recorded ${name} in ${service}/errors.json`);
  return new Base({ name, ...rec });
}

import type { AwsCredentialIdentity, Pluggable } from '@smithy/types';

/**
 * How every SDK client is built. Drills pass `plugins` (the simulated platform, plugged into
 * each client's middleware stack in place of the network) and `endpoints` (dynalite/s3rver);
 * Lambda passes only the region.
 */
export interface AwsClientOptions {
  region: string;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK types a plugin for any client as Pluggable<any, any>
  plugins?: Pluggable<any, any>[];
  endpoints?: Partial<Record<'dynamodb' | 's3' | 'lambda', string>>;
  credentials?: AwsCredentialIdentity;
  /** SDK retry attempts (default 3, the SDK's standard mode). */
  maxAttempts?: number;
  /** S3 path-style addressing (s3rver). */
  forcePathStyle?: boolean;
}

interface ClientLike {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK types a plugin for any client as Pluggable<any, any>
  middlewareStack: { use(p: Pluggable<any, any>): void };
}

export function clientConfig(opts: AwsClientOptions, service?: 'dynamodb' | 's3' | 'lambda') {
  return {
    region: opts.region,
    maxAttempts: opts.maxAttempts ?? 3,
    // Resolve each command's middleware chain once, not on every call: plugins are added before
    // the first request and never changed after, and calls with per-call options skip the cache.
    cacheMiddleware: true,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(service && opts.endpoints?.[service] ? { endpoint: opts.endpoints[service] } : {}),
    ...(service === 's3' && opts.forcePathStyle ? { forcePathStyle: true } : {}),
  };
}

export function withPlugins<C extends ClientLike>(client: C, opts: AwsClientOptions): C {
  for (const p of opts.plugins ?? []) client.middlewareStack.use(p);
  return client;
}

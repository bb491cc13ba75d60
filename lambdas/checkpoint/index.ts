/** Checkpoint I/O on S3: backups (copy, verify, seal), rollbacks, deletions and restores. */
export * from './store';
export * from './copy';
export * from './backup';
export * from './rollback';
export * from './restore';

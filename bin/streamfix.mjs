#!/usr/bin/env node
/**
 * The installed `streamfix` binary. The CLI is TypeScript run by tsx, a runtime dependency of the
 * package: tsx's loader is registered here, then the CLI entry is loaded. This file is plain
 * JavaScript so that Node runs it without tsx on the PATH (an install outside this repository,
 * `npm install -g`, `npx streamfix`).
 */
import { register } from 'tsx/esm/api';

register();
await import('./streamfix.ts');

#!/usr/bin/env -S node --max-semi-space-size=64
// The installed `pvlab` command: runs the TypeScript CLI through tsx's loader. A 64 MiB young
// generation (V8's default is 16) lets the simulator's short-lived per-event objects die young
// instead of being promoted: about 12% faster on the 1000-domain benchmark (bench/README.md).
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../lab/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

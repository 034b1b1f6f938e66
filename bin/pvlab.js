#!/usr/bin/env node
// The installed `pvlab` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
register();
await import('../lab/cli/main.ts');

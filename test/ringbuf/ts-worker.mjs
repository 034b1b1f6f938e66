// Boots a TypeScript worker_threads entry: registers tsx's ESM hooks in this worker, then
// imports `workerData.entry`. (Node 20 does not apply `--import tsx` from a Worker's
// execArgv to the worker's entry module, so the hooks are registered here instead.)
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

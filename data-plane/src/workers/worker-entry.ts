/**
 * The file node:cluster runs in each proxy worker (`cluster.setupPrimary({ exec })`). Like
 * bin/turnpike.ts it is an entry point, the one place in this folder with a side effect on import.
 * Node's compile cache is switched on first (as the main process does), then the safety net is
 * installed before anything else of the worker loads.
 */
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { installWorkerSafetyNet } = await import('./safety-net.ts');
installWorkerSafetyNet();
const { runWorker } = await import('./worker.ts');
runWorker();

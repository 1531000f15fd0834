/**
 * The file node:cluster runs in each proxy worker (`cluster.setupPrimary({ exec })`). Like
 * bin/turnpike.ts it is an entry point, the one place in this folder with a side effect on import.
 */
import { installWorkerSafetyNet } from './safety-net.ts';
import { runWorker } from './worker.ts';

installWorkerSafetyNet();
runWorker();

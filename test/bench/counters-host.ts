/**
 * The child of the counters benchmark (counters.bench.ts): a node's main process as the proxy
 * workers' node-wide counters see it, answering each `counters-take` batch from one store.
 */
import { isWorkerMessage, SharedCounterStore } from '@turnpike/data-plane/workers';

const store = new SharedCounterStore();
process.on('message', (message: unknown) => {
  if (isWorkerMessage(message) && message.type === 'counters-take') process.send?.(store.answer(message));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'host-ready' });

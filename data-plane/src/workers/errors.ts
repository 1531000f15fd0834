export { WorkerError } from '@turnpike/shared';

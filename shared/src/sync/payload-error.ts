export { SyncPayloadError } from '../errors.ts';
